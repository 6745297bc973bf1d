// What the OpenAI and Anthropic adapters share: typed field readers whose errors
// name the client's field, random response ids, and the tool-name lookup of a
// tool result. No HTTP here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/types.h"

namespace cria::api::compat {

Error bad_request(std::string message);

// A random id: prefix + 24 characters of [A-Za-z0-9] ("chatcmpl-", "msg_", "toolu_").
std::string random_id(std::string_view prefix);

// Seconds since the epoch, as "created" fields carry.
int64_t unix_now();

// Each reader leaves `out` unchanged when the field is absent or null and fails
// with a message naming `key` when the value has the wrong type.
Status read_string(const Json& body, const char* key, std::string& out);
Status read_bool(const Json& body, const char* key, bool& out);
// Copies a number field into options[option] (an Ollama option name).
Status copy_number(const Json& body, const char* key, Json& options, const char* option);
// Copies a whole-number field into options[option].
Status copy_integer(const Json& body, const char* key, Json& options, const char* option);
// "stop": a string or an array of strings, into options["stop"].
Status copy_stop(const Json& body, const char* key, Json& options);

// The name of the tool whose call had this id, from the calls already seen
// (the last one wins, as Ollama resolves it); "" when none matches.
std::string tool_name_for(const std::vector<Message>& messages, const std::string& call_id);

// Keeps only the tool named `name` (a forced tool choice); fails when none has it.
Status keep_only_tool(Json& tools, const std::string& name);

}  // namespace cria::api::compat
