#include "server/model_info.h"

#include "gguf/reader.h"
#include "server/gguf_cache.h"

namespace cria::server {

namespace {

using api::Json;

Json scalar_array(const gguf::Array& a) {
  Json out = Json::array();
  for (uint64_t i = 0; i < a.count; ++i) {
    switch (a.type) {
      case gguf::ValueType::kUint8:
        out.push_back(a.at<uint8_t>(i));
        break;
      case gguf::ValueType::kInt8:
        out.push_back(a.at<int8_t>(i));
        break;
      case gguf::ValueType::kUint16:
        out.push_back(a.at<uint16_t>(i));
        break;
      case gguf::ValueType::kInt16:
        out.push_back(a.at<int16_t>(i));
        break;
      case gguf::ValueType::kUint32:
        out.push_back(a.at<uint32_t>(i));
        break;
      case gguf::ValueType::kInt32:
        out.push_back(a.at<int32_t>(i));
        break;
      case gguf::ValueType::kFloat32:
        out.push_back(a.at<float>(i));
        break;
      case gguf::ValueType::kBool:
        out.push_back(a.at<uint8_t>(i) != 0);
        break;
      case gguf::ValueType::kUint64:
        out.push_back(a.at<uint64_t>(i));
        break;
      case gguf::ValueType::kInt64:
        out.push_back(a.at<int64_t>(i));
        break;
      case gguf::ValueType::kFloat64:
        out.push_back(a.at<double>(i));
        break;
      default:
        break;
    }
  }
  return out;
}

Json array_json(const gguf::Array& a, bool verbose) {
  if (!verbose && a.count > 5) return Json::array();
  if (a.type == gguf::ValueType::kString) {
    Json out = Json::array();
    for (auto s : a.strings) out.push_back(std::string(s));
    return out;
  }
  if (a.type == gguf::ValueType::kArray) {
    Json out = Json::array();
    for (const auto& inner : a.arrays) out.push_back(array_json(inner, verbose));
    return out;
  }
  return scalar_array(a);
}

Json value_json(const gguf::Value& v, bool verbose) {
  return std::visit(
      [&](const auto& x) -> Json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          return std::string(x);
        } else if constexpr (std::is_same_v<T, gguf::Array>) {
          return array_json(x, verbose);
        } else {
          return x;
        }
      },
      v);
}

}  // namespace

Result<ModelInfo> read_model_info(const std::string& path, bool verbose) {
  CRIA_ASSIGN_OR_RETURN(auto cached, open_gguf_cached(path));
  const gguf::File& file = *cached;
  ModelInfo m;
  m.architecture = std::string(file.architecture());
  for (const auto& kv : file.metadata()) {
    if (kv.key == "tokenizer.chat_template") {
      if (auto* s = std::get_if<std::string_view>(&kv.value)) m.chat_template = std::string(*s);
      continue;
    }
    m.info[std::string(kv.key)] = value_json(kv.value, verbose);
  }
  int64_t params = 0;
  for (const auto& t : file.tensors()) {
    params += t.n_elements();
    if (verbose) {
      Json shape = Json::array();
      for (uint32_t d = 0; d < t.n_dims; ++d) shape.push_back(t.ne[d]);
      m.tensors.push_back(Json{{"name", std::string(t.name)},
                               {"type", gguf::tensor_type_display(t.type)},
                               {"shape", shape}});
    }
  }
  m.info["general.parameter_count"] = params;
  if (auto ctx = file.get_int(m.architecture + ".context_length"); ctx.ok())
    m.context_length = *ctx;
  m.has_embeddings_only = is_embedding_model(file);
  return m;
}

bool is_embedding_model(const gguf::File& file) {
  auto pooling = file.get_int(std::string(file.architecture()) + ".pooling_type");
  return pooling.ok() && *pooling != 0;
}

Result<bool> is_embedding_model(const std::string& gguf_path) {
  CRIA_ASSIGN_OR_RETURN(auto cached, open_gguf_cached(gguf_path));
  return is_embedding_model(*cached);
}

}  // namespace cria::server
