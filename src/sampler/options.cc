#include "sampler/options.h"

#include <cmath>
#include <string>

namespace cria {
namespace {

Error invalid(const char* name, const std::string& why) {
  return make_error(Errc::kInvalidArgument, std::string("sampler option ") + name + " " + why);
}

Status check_finite(const char* name, float value) {
  if (!std::isfinite(value)) return invalid(name, "must be a finite number");
  return {};
}

Status check_unit(const char* name, float value) {
  CRIA_RETURN_IF_ERROR(check_finite(name, value));
  if (value < 0.0f || value > 1.0f) {
    return invalid(name, "must be between 0 and 1, got " + std::to_string(value));
  }
  return {};
}

}  // namespace

Status validate(const SamplerOptions& o) {
  CRIA_RETURN_IF_ERROR(check_finite("temperature", o.temperature));
  CRIA_RETURN_IF_ERROR(check_unit("top_p", o.top_p));
  CRIA_RETURN_IF_ERROR(check_unit("min_p", o.min_p));
  CRIA_RETURN_IF_ERROR(check_unit("typical_p", o.typical_p));
  CRIA_RETURN_IF_ERROR(check_finite("repeat_penalty", o.repeat_penalty));
  if (o.repeat_penalty <= 0.0f) {
    return invalid("repeat_penalty",
                   "must be greater than 0 (1 is off), got " + std::to_string(o.repeat_penalty));
  }
  if (o.repeat_last_n < -1) {
    return invalid("repeat_last_n", "must be -1 (whole context), 0 (off) or positive, got " +
                                        std::to_string(o.repeat_last_n));
  }
  CRIA_RETURN_IF_ERROR(check_finite("presence_penalty", o.presence_penalty));
  CRIA_RETURN_IF_ERROR(check_finite("frequency_penalty", o.frequency_penalty));
  return {};
}

}  // namespace cria
