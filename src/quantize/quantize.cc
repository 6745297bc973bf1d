#include "quantize/quantize.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <type_traits>
#include <vector>

#include <fmt/core.h>
#include <ggml.h>

#include "base/cpu.h"
#include "gguf/reader.h"
#include "gguf/writer.h"
#include "quantize/row_quantizer.h"
#include "quantize/tensor_rules.h"

namespace cria::quantize {

namespace {

// Keys of a split file's parts; the output is one file.
constexpr std::string_view kSplitKeys[] = {"split.no", "split.count", "split.tensors.count"};

std::optional<int64_t> first_array_integer(const gguf::Array& a) {
  if (a.count == 0) return std::nullopt;
  switch (a.type) {
    case gguf::ValueType::kUint8:
      return a.at<uint8_t>(0);
    case gguf::ValueType::kInt8:
      return a.at<int8_t>(0);
    case gguf::ValueType::kUint16:
      return a.at<uint16_t>(0);
    case gguf::ValueType::kInt16:
      return a.at<int16_t>(0);
    case gguf::ValueType::kUint32:
      return a.at<uint32_t>(0);
    case gguf::ValueType::kInt32:
      return a.at<int32_t>(0);
    case gguf::ValueType::kUint64:
      return static_cast<int64_t>(a.at<uint64_t>(0));
    case gguf::ValueType::kInt64:
      return a.at<int64_t>(0);
    default:
      return std::nullopt;
  }
}

// An integer, or the first element of an integer array (per-layer values).
std::optional<int64_t> as_integer(const gguf::Value& v) {
  return std::visit(
      [](const auto& x) -> std::optional<int64_t> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, gguf::Array>) {
          return first_array_integer(x);
        } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          return static_cast<int64_t>(x);
        } else {
          return std::nullopt;
        }
      },
      v);
}

uint32_t to_count(std::optional<int64_t> v, uint32_t fallback) {
  if (!v) return fallback;
  return static_cast<uint32_t>(std::clamp<int64_t>(*v, 0, UINT32_MAX));
}

// One past the largest "blk.N." in the tensor names.
uint32_t count_blocks(const gguf::File& f) {
  constexpr std::string_view kPrefix = "blk.";
  uint32_t n = 0;
  for (const auto& t : f.tensors()) {
    if (!t.name.starts_with(kPrefix)) continue;
    uint32_t i = 0;
    const char* first = t.name.data() + kPrefix.size();
    const auto [end, ec] = std::from_chars(first, t.name.data() + t.name.size(), i);
    if (ec == std::errc() && end != first && i < UINT32_MAX) n = std::max(n, i + 1);
  }
  return n;
}

ModelShape read_model_shape(const gguf::File& f) {
  ModelShape m;
  m.arch = std::string(f.architecture());
  auto get = [&](std::string_view suffix) -> std::optional<int64_t> {
    const gguf::Value* v = f.find(fmt::format("{}.{}", m.arch, suffix));
    return v ? as_integer(*v) : std::nullopt;
  };
  m.n_layer = to_count(get("block_count"), count_blocks(f));
  m.n_head = to_count(get("attention.head_count"), 0);
  m.n_head_kv = to_count(get("attention.head_count_kv"), m.n_head);
  m.n_expert = to_count(get("expert_count"), 0);
  return m;
}

Status check_input(const gguf::File& f) {
  if (const gguf::Value* v = f.find("split.count"); v && as_integer(*v).value_or(1) > 1) {
    return make_error(Errc::kUnsupported,
                      fmt::format("{} is one part of a split GGUF file ({} parts); merge the "
                                  "parts into one file before quantizing",
                                  f.path(), *as_integer(*v)));
  }
  for (const auto& t : f.tensors()) {
    const auto type = static_cast<ggml_type>(t.type);
    if (ggml_is_quantized(type)) {
      return make_error(Errc::kUnsupported,
                        fmt::format("quantization is only supported for F16 and F32 models: {} is "
                                    "already quantized (tensor '{}' is {})",
                                    f.path(), t.name, ggml_type_name(type)));
    }
  }
  return {};
}

std::vector<TensorDesc> describe(const gguf::File& f) {
  std::vector<TensorDesc> descs;
  descs.reserve(f.tensors().size());
  for (const auto& t : f.tensors()) descs.push_back({t.name, t.type, t.ne});
  return descs;
}

void set_metadata(const gguf::File& in, const FileType& target, gguf::Writer& w) {
  w.copy_metadata(in);
  for (std::string_view key : kSplitKeys) w.remove(std::string(key));
  w.set("general.quantization_version", static_cast<uint32_t>(GGML_QNT_VERSION));
  w.set("general.file_type", file_type_value(target.mix));
}

gguf::TensorSpec spec_of(const gguf::TensorInfo& t, gguf::TensorType type) {
  gguf::TensorSpec spec{std::string(t.name), type, {}};
  spec.shape.assign(t.ne.begin(), t.ne.begin() + t.n_dims);
  return spec;
}

struct TensorWork {
  const gguf::File& in;
  RowQuantizer& rows;
  gguf::Writer& out;
  QuantizeReport& report;
};

// Adds one tensor to the output: as it is (from the mapping), or converted.
Status add_tensor(const gguf::TensorInfo& t, const TensorChoice& choice, TensorWork& w) {
  const std::span<const uint8_t> data = w.in.tensor_data(t);
  w.report.input_bytes += data.size();
  if (choice.fallback) ++w.report.n_fallback;
  if (choice.type == t.type) {
    w.report.output_bytes += data.size();
    return w.out.add_tensor(spec_of(t, t.type), data);
  }
  RowJob job{t.name, t.type, data, choice.type, t.ne[0], 0};
  job.n_rows = t.ne[0] == 0 ? 0 : t.n_elements() / t.ne[0];
  CRIA_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, w.rows.run(job));
  ++w.report.n_converted;
  w.report.output_bytes += bytes.size();
  return w.out.add_tensor(spec_of(t, choice.type), std::move(bytes));
}

}  // namespace

Result<QuantizeReport> quantize_gguf(const QuantizeOptions& options) {
  CRIA_ASSIGN_OR_RETURN(const FileType target, parse_file_type(options.type));
  if (options.input.empty() || options.output.empty()) {
    return make_error(Errc::kInvalidArgument, "quantize needs an input and an output file");
  }
  CRIA_ASSIGN_OR_RETURN(const gguf::File in, gguf::File::open(options.input));
  CRIA_RETURN_IF_ERROR(check_input(in));
  const std::vector<TensorDesc> descs = describe(in);
  CRIA_ASSIGN_OR_RETURN(const std::vector<TensorChoice> choices,
                        choose_tensor_types(descs, read_model_shape(in), target));

  gguf::Writer out;
  set_metadata(in, target, out);
  QuantizeReport report{target};
  report.n_tensors = in.tensors().size();
  RowQuantizer rows(options.threads > 0 ? options.threads : physical_cores());
  TensorWork work{in, rows, out, report};
  for (size_t i = 0; i < in.tensors().size(); ++i) {
    CRIA_RETURN_IF_ERROR(add_tensor(in.tensors()[i], choices[i], work));
    if (options.progress) options.progress(i + 1, in.tensors().size());
  }
  CRIA_RETURN_IF_ERROR(out.write(options.output));
  return report;
}

}  // namespace cria::quantize
