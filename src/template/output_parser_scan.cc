// Scanning helpers shared by the output parsers.
#include <algorithm>

#include "template/output_parser_impl.h"

namespace cria::tmpl::detail {

size_t partial_tag(std::string_view text, std::string_view tag) {
  size_t longest = std::min(text.size(), tag.empty() ? 0 : tag.size() - 1);
  for (size_t n = longest; n > 0; --n)
    if (text.substr(text.size() - n) == tag.substr(0, n)) return n;
  return 0;
}

size_t partial_tags(std::string_view text, std::initializer_list<std::string_view> tags) {
  size_t most = 0;
  for (auto t : tags) most = std::max(most, partial_tag(text, t));
  return most;
}

std::string_view trim_left(std::string_view s) {
  size_t i = s.find_first_not_of(kSpace);
  return i == std::string_view::npos ? std::string_view() : s.substr(i);
}

std::string_view trim_right(std::string_view s) {
  size_t i = s.find_last_not_of(kSpace);
  return i == std::string_view::npos ? std::string_view() : s.substr(0, i + 1);
}

std::string_view trim(std::string_view s) {
  return trim_right(trim_left(s));
}

size_t json_value_end(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return std::string_view::npos;
}

std::optional<ToolCall> call_from_json(const Json& j) {
  if (!j.is_object()) return std::nullopt;
  if (j.contains("function") && j["function"].is_object() && !j.contains("name")) {
    auto c = call_from_json(j["function"]);
    if (c && j.contains("id") && j["id"].is_string()) c->id = j["id"].get<std::string>();
    return c;
  }
  if (!j.contains("name") || !j["name"].is_string()) return std::nullopt;
  ToolCall c;
  c.name = j["name"].get<std::string>();
  if (c.name.empty()) return std::nullopt;
  const char* key = j.contains("arguments") ? "arguments" : "parameters";
  Json args = j.contains(key) ? j[key] : Json::object();
  if (args.is_string()) args = Json::parse(args.get<std::string>(), nullptr, false);
  if (args.is_null()) args = Json::object();
  if (!args.is_object()) return std::nullopt;
  c.arguments = std::move(args);
  if (j.contains("id") && j["id"].is_string()) c.id = j["id"].get<std::string>();
  return c;
}

std::optional<std::vector<ToolCall>> calls_from_text(std::string_view text) {
  Json j = Json::parse(trim(text), nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  std::vector<ToolCall> calls;
  if (!j.is_array()) j = Json::array({std::move(j)});
  if (j.empty()) return std::nullopt;
  for (const Json& item : j) {
    auto c = call_from_json(item);
    if (!c) return std::nullopt;
    calls.push_back(std::move(*c));
  }
  return calls;
}

void CallNumbering::add(ToolCall call, ParsedOutput& out) {
  call.index = next_index_++;
  if (call.id.empty()) {
    static constexpr std::string_view kChars = "abcdefghijklmnopqrstuvwxyz0123456789";
    call.id = "call_";
    for (int i = 0; i < 8; ++i) {
      // splitmix64
      uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      call.id += kChars[(z ^ (z >> 31)) % kChars.size()];
    }
  }
  out.tool_calls.push_back(std::move(call));
}

void ContentSink::text(std::string_view s, ParsedOutput& out) {
  if (skip_leading_) {
    s = trim_left(s);
    if (s.empty()) return;
    skip_leading_ = false;
  }
  size_t last = s.find_last_not_of(kSpace);
  if (last == std::string_view::npos) {
    held_ += s;
    return;
  }
  out.content += held_;
  out.content += s.substr(0, last + 1);
  held_ = s.substr(last + 1);
}

void ContentSink::finish(ParsedOutput& out) {
  out.content += held_;
  held_.clear();
}

ParsedOutput BufferedParser::push(std::string_view text) {
  buf_ += text;
  ParsedOutput out;
  drain(false, out);
  return out;
}

ParsedOutput BufferedParser::finish() {
  ParsedOutput out;
  drain(true, out);
  buf_.clear();
  return out;
}

}  // namespace cria::tmpl::detail
