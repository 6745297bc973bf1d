// Modelfiles: parsing (FROM, PARAMETER, TEMPLATE, SYSTEM, ADAPTER, LICENSE,
// MESSAGE, REQUIRES, RENDERER, PARSER) and rendering a stored model back as
// `ollama show --modelfile` prints it.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/create.h"
#include "store/go_json.h"
#include "store/model.h"

namespace cria::store {

struct ModelfileCommand {
  // "model" (FROM), "adapter", "template", "system", "license", "message",
  // "requires", "renderer", "parser", or a parameter name.
  std::string name;
  std::string args;  // for a message: "role: content"
  Json value;        // a parameter's typed value (null for other commands)
  bool is_parameter = false;
  int line = 0;  // where the command starts
};

struct Modelfile {
  std::vector<ModelfileCommand> commands;
  std::vector<std::string> warnings;  // deprecated parameters that were ignored
};

// Parses Modelfile text. Instructions are case-insensitive; '#' starts a
// comment line; a value may be "quoted" or """multi-line""". Every error
// names its line: `line 3: unknown instruction "FOO"`. A Modelfile without
// FROM is refused.
Result<Modelfile> parse_modelfile(std::string_view text);

// What a client does with a parsed Modelfile: the create request, plus the
// local files it must upload first (POST /api/blobs/<digest>).
struct ModelfileRequest {
  CreateRequest request;
  std::map<std::string, std::string> uploads;  // digest -> local path
};

// FROM and ADAPTER naming an existing file (relative to `relative_dir`, or
// absolute, or ~/...) are hashed and sent as `files`/`adapters`; any other
// FROM names a model. `home` expands "~".
Result<ModelfileRequest> to_create_request(const Modelfile& mf, const std::string& relative_dir,
                                           const std::string& home = "");

// Quotes a value as Ollama's Modelfile writer does: "..." when it has a
// newline or leading/trailing space, """...""" when it also has a quote.
std::string quote_modelfile_value(std::string_view s);

// The Modelfile of a stored model, as `ollama show --modelfile` prints it.
std::string render_modelfile(const Model& m);

// The "parameters" text of /api/show: one "name<padding to 30> value" line per value.
std::string render_parameters(const Json& params);

}  // namespace cria::store
