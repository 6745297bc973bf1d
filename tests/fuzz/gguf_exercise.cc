#include "fuzz/gguf_exercise.h"

#include <variant>

#include "gguf/reader.h"
#include "gguf/summary.h"

namespace cria::test {

namespace {

uint64_t walk(const gguf::Array& a) {
  uint64_t sum = a.count;
  if (a.type == gguf::ValueType::kString) {
    for (auto s : a.strings) sum += s.empty() ? 0 : static_cast<uint8_t>(s.back());
  } else if (a.type == gguf::ValueType::kArray) {
    for (const auto& inner : a.arrays) sum += walk(inner);
  } else if (a.count > 0) {
    const size_t n = gguf::scalar_size(a.type);
    sum += a.raw[0] + a.raw[a.count * n - 1];
  }
  return sum;
}

}  // namespace

ExerciseResult exercise_gguf(std::vector<uint8_t> bytes) {
  ExerciseResult r;
  auto file = gguf::File::parse(std::move(bytes), "mutant.gguf");
  if (!file.ok()) {
    r.error = file.error().message;
    return r;
  }
  r.ok = true;
  for (const auto& kv : file->metadata()) {
    r.checksum += kv.key.size();
    if (const auto* a = std::get_if<gguf::Array>(&kv.value)) r.checksum += walk(*a);
    r.checksum += gguf::to_display(kv.value, 4).size();
  }
  for (const auto& t : file->tensors()) {
    auto data = file->tensor_data(t);
    if (!data.empty()) r.checksum += data.front() + data.back();
  }
  const auto summary = gguf::summarize(*file);
  r.checksum += summary.parameter_count + summary.quantization.size();
  return r;
}

}  // namespace cria::test
