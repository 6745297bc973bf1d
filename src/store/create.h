// Creating a model (POST /api/create, `ollama create`): builds the layers
// from uploaded blobs or an existing model, writes the config blob from the
// GGUF's metadata and writes the manifest, reporting progress with Ollama's
// status strings.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/digest.h"
#include "store/go_json.h"
#include "store/store.h"

namespace cria::store {

// The fields of Ollama's current CreateRequest that the store acts on.
struct CreateRequest {
  std::string model;                            // name to create
  std::string from;                             // an existing model to start from
  std::map<std::string, std::string> files;     // file name -> sha256 digest of an uploaded blob
  std::map<std::string, std::string> adapters;  // file name -> digest (LoRA adapters)
  std::string template_text;                    // "" keeps the base model's
  std::string system;                           // "" keeps the base model's
  std::vector<std::string> license;             // appended to the base's licenses
  Json parameters = Json::object();             // merged over the base's
  Json messages = Json::array();                // replace the base's when not empty
  std::string renderer;
  std::string parser;
  std::string requires_version;
  std::string quantize;  // "q4_K_M", ...: done by the caller's QuantizeFn

  // From the JSON body of POST /api/create ("name" and "quantization" are
  // accepted as Ollama's deprecated spellings). Errors name the field.
  static Result<CreateRequest> from_json(const Json& body);
};

struct CreateProgress {
  std::string status;
  std::string digest;  // set with total/completed while a long step runs
  int64_t total = 0;
  int64_t completed = 0;
};
using ProgressFn = std::function<void(const CreateProgress&)>;

// Turns the GGUF blob at `blob_path` into a new blob quantized to `type`
// (upper-case, e.g. "Q4_K_M") already written to the store; returns its digest.
using QuantizeFn = std::function<Result<Digest>(const std::string& blob_path,
                                                const std::string& type, const ProgressFn&)>;

// A Go template matched from a GGUF chat template (the template library's job).
struct DetectedTemplate {
  std::string name;
  std::string text;
  Json params;  // e.g. {"stop": [...]}; null for none
};
using DetectTemplateFn = std::function<std::optional<DetectedTemplate>(std::string_view)>;

struct CreateOptions {
  ProgressFn progress;               // may be empty
  QuantizeFn quantize;               // needed only when a request asks to quantize
  DetectTemplateFn detect_template;  // used for a model made from files; may be empty
  // When the name already existed: remove the blobs only the old manifest
  // used (the caller passes !OLLAMA_NOPRUNE).
  bool prune_replaced = true;
};

// Creates the model. Errors: kInvalidArgument for a bad request (name,
// file path, digest, parameter, more than one adapter), kNotFound for an
// unknown base model or a blob that was not uploaded, kCorrupt for a blob
// that is not a valid GGUF, kUnsupported for formats other than GGUF.
// On success the last progress status is "success".
Status create_model(Store& store, const CreateRequest& req, const CreateOptions& opts);

}  // namespace cria::store
