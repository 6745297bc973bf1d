#include "store/modelfile.h"

#include <algorithm>
#include <cctype>

#include <fmt/core.h>

#include "store/params.h"

namespace cria::store {

namespace {

constexpr std::string_view kInstructions[] = {"from",     "parameter", "template", "system",
                                              "adapter",  "license",   "message",  "requires",
                                              "renderer", "parser"};

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_blank(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (is_blank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

Error line_error(int line, std::string_view msg) {
  return make_error(Errc::kInvalidArgument, fmt::format("line {}: {}", line, msg));
}

// Go's semver.IsValid on "v" + s: 1, 1.2 or 1.2.3, optionally -pre and +build.
bool is_version(std::string_view s) {
  if (!s.empty() && s[0] == 'v') s.remove_prefix(1);
  size_t end = s.find_first_of("-+");
  std::string_view core = s.substr(0, end);
  int parts = 0;
  for (size_t i = 0; i <= core.size();) {
    size_t dot = std::min(core.find('.', i), core.size());
    std::string_view p = core.substr(i, dot - i);
    if (p.empty() || !std::all_of(p.begin(), p.end(), ::isdigit) || (p.size() > 1 && p[0] == '0')) {
      return false;
    }
    ++parts;
    i = dot + 1;
  }
  return parts >= 1 && parts <= 3 && (end == std::string_view::npos || end + 1 < s.size());
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") s_.remove_prefix(3);
  }

  Result<Modelfile> run() {
    Modelfile mf;
    while (skip_blank_lines()) CRIA_RETURN_IF_ERROR(command(mf));
    bool has_from = std::any_of(mf.commands.begin(), mf.commands.end(),
                                [](const ModelfileCommand& c) { return c.name == "model"; });
    if (!has_from) {
      return make_error(Errc::kInvalidArgument,
                        "no FROM line: a Modelfile must start from a model or a GGUF file "
                        "(FROM <name or path>)");
    }
    return mf;
  }

 private:
  bool eof() const { return i_ >= s_.size(); }

  // Skips blank lines and comments; false at the end of the text.
  bool skip_blank_lines() {
    while (!eof()) {
      char c = s_[i_];
      if (c == '\n') {
        ++line_;
        ++i_;
      } else if (is_blank(c) || c == '\r') {
        ++i_;
      } else if (c == '#') {
        while (!eof() && s_[i_] != '\n') ++i_;
      } else {
        return true;
      }
    }
    return false;
  }

  std::string_view take_while(bool (*pred)(char)) {
    size_t start = i_;
    while (!eof() && pred(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  void skip_blanks() {
    while (!eof() && is_blank(s_[i_])) ++i_;
  }
  bool at_blank() const { return !eof() && is_blank(s_[i_]); }

  Result<std::string> instruction() {
    std::string_view word = take_while(is_alpha);
    if (!at_blank()) {
      size_t start = i_ - word.size();
      while (!eof() && !is_blank(s_[i_]) && s_[i_] != '\n' && s_[i_] != '\r') ++i_;
      word = s_.substr(start, i_ - start);
    }
    std::string name = lower(word);
    if (name == "draft") {
      return line_error(line_, "DRAFT models are not supported yet");
    }
    if (std::find(std::begin(kInstructions), std::end(kInstructions), name) ==
        std::end(kInstructions)) {
      return line_error(line_, fmt::format("unknown instruction \"{}\" (expected FROM, PARAMETER, "
                                           "TEMPLATE, SYSTEM, ADAPTER, LICENSE, MESSAGE, "
                                           "REQUIRES, RENDERER or PARSER)",
                                           word));
    }
    if (!at_blank()) {
      std::string upper(word);
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return line_error(line_, fmt::format("{} needs a value", upper));
    }
    skip_blanks();
    return name;
  }

  // The rest of the command: one line, or up to the closing quote.
  Result<std::string> value(std::string_view instr) {
    int start_line = line_;
    std::string acc;
    for (;;) {
      size_t nl = s_.find('\n', i_);
      size_t end = nl == std::string_view::npos ? s_.size() : nl;
      std::string_view part = s_.substr(i_, end - i_);
      if (!part.empty() && part.back() == '\r') part.remove_suffix(1);
      acc += part;
      i_ = end;
      std::string_view t = trim(acc);
      bool triple = t.substr(0, 3) == "\"\"\"";
      bool single = !triple && !t.empty() && t[0] == '"';
      if (triple && t.size() >= 6 && t.substr(t.size() - 3) == "\"\"\"") {
        return std::string(t.substr(3, t.size() - 6));
      }
      if (single && t.size() >= 2 && t.back() == '"') return std::string(t.substr(1, t.size() - 2));
      if (!triple && !single) {
        if (t.empty()) return line_error(start_line, fmt::format("{} needs a value", instr));
        return std::string(t);
      }
      if (eof()) {
        return line_error(start_line, fmt::format("{} value opened with {} is never closed", instr,
                                                  triple ? "\"\"\"" : "\""));
      }
      acc += '\n';
      ++i_;
      ++line_;
    }
  }

  Status command(Modelfile& mf);

  std::string_view s_;
  size_t i_ = 0;
  int line_ = 1;
};

bool is_param_char(char c) {
  return is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

Status Parser::command(Modelfile& mf) {
  ModelfileCommand cmd;
  cmd.line = line_;
  CRIA_ASSIGN_OR_RETURN(std::string instr, instruction());
  std::string upper = instr;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string role;
  if (instr == "parameter") {
    std::string_view name = take_while(is_param_char);
    if (name.empty() || !at_blank()) {
      return line_error(line_, "PARAMETER needs a name and a value: PARAMETER <name> <value>");
    }
    skip_blanks();
    cmd.name = std::string(name);
    cmd.is_parameter = true;
  } else if (instr == "message") {
    std::string_view r = take_while(is_alpha);
    role = lower(r);
    if (role != "system" && role != "user" && role != "assistant") {
      return line_error(line_, fmt::format("message role must be one of \"system\", \"user\", or "
                                           "\"assistant\", not \"{}\"",
                                           r));
    }
    if (!at_blank()) return line_error(line_, "MESSAGE needs a role and a text");
    skip_blanks();
    cmd.name = "message";
  } else {
    cmd.name = instr == "from" ? "model" : instr;
  }
  CRIA_ASSIGN_OR_RETURN(cmd.args, value(cmd.is_parameter ? "PARAMETER " + cmd.name : upper));
  if (!role.empty()) cmd.args = role + ": " + cmd.args;
  if (cmd.is_parameter) {
    if (is_deprecated_param(cmd.name)) {
      mf.warnings.push_back(
          fmt::format("line {}: parameter {} is deprecated and ignored", cmd.line, cmd.name));
      return {};
    }
    auto v = parse_param(cmd.name, cmd.args);
    if (!v.ok()) return line_error(cmd.line, v.error().message);
    cmd.value = std::move(*v);
  }
  if (cmd.name == "requires" && !is_version(cmd.args)) {
    return line_error(cmd.line,
                      fmt::format("REQUIRES must be a version like 0.14.0, not \"{}\"", cmd.args));
  }
  mf.commands.push_back(std::move(cmd));
  return {};
}

}  // namespace

Result<Modelfile> parse_modelfile(std::string_view text) {
  return Parser(text).run();
}

}  // namespace cria::store
