#include "sampler/json_schema.h"

#include <cstdio>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace cria {

namespace {

using Json = nlohmann::ordered_json;

constexpr int64_t kMaxCount = 10000;  // the largest minItems/maxItems/minLength/maxLength

// The generic JSON value and its parts, shared by every schema.
constexpr const char* kPrimitives[][2] = {
    {"ws", R"(( " " | "\n" [ \t]{0,20} )?)"},
    {"value", "object | array | string | number | boolean | null"},
    {"object", R"("{" ws ( member ( "," ws member )* )? "}")"},
    {"member", R"(string ws ":" ws value ws)"},
    {"array", R"("[" ws ( value ws ( "," ws value ws )* )? "]")"},
    {"string", R"("\"" char* "\"")"},
    {"char",
     R"([^"\\\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" ( [0-9a-cA-CeEfF] hex{3} | [dD] [0-7] hex{2} ) ))"},
    {"hex", "[0-9a-fA-F]"},
    {"integer", R"("-"? ( "0" | [1-9] [0-9]{0,15} ))"},
    {"number", R"(integer ( "." [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,2} )?)"},
    {"boolean", R"("true" | "false")"},
    {"null", R"("null")"},
};

// What each primitive rule uses, so only the needed ones are emitted.
const std::map<std::string, std::vector<std::string>>& primitive_deps() {
  static const std::map<std::string, std::vector<std::string>> deps = {
      {"value", {"object", "array", "string", "number", "boolean", "null"}},
      {"object", {"ws", "member"}},
      {"member", {"string", "ws", "value"}},
      {"array", {"ws", "value"}},
      {"string", {"char"}},
      {"char", {"hex"}},
      {"number", {"integer"}},
  };
  return deps;
}

// A grammar literal for these bytes.
std::string literal(std::string_view bytes) {
  std::string out = "\"";
  for (char c : bytes) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_literal(const Json& v) {
  return literal(v.dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::string sanitize(std::string_view hint) {
  std::string out;
  for (char c : hint) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out += ok ? c : '-';
  }
  return out.empty() ? "s" : out;
}

Error unsupported(const std::string& what, const std::string& path) {
  return make_error(Errc::kInvalidArgument,
                    "unsupported JSON schema: " + what + " at " + (path.empty() ? "/" : path));
}

// {m,n} suffix text; n < 0: unbounded.
std::string count_suffix(int64_t min, int64_t max) {
  if (max < 0) return min == 0 ? "*" : "{" + std::to_string(min) + ",}";
  return "{" + std::to_string(min) + "," + std::to_string(max) + "}";
}

class SchemaConverter {
 public:
  explicit SchemaConverter(const Json& root) : root_(root) {}

  Result<std::string> convert(std::string_view root_rule) {
    CRIA_ASSIGN_OR_RETURN(std::string body, expression(root_, ""));
    std::string out = std::string(root_rule) + " ::= " + body + "\n";
    for (const auto& [name, rule] : rules_) out += name + " ::= " + rule + "\n";
    for (const auto& [name, rule] : kPrimitives) {
      if (used_.count(name)) out += std::string(name) + " ::= " + rule + "\n";
    }
    return out;
  }

 private:
  // A primitive rule's name, marking it and what it uses as needed.
  std::string use(const std::string& name) {
    if (used_.insert(name).second) {
      auto it = primitive_deps().find(name);
      if (it != primitive_deps().end())
        for (const std::string& d : it->second) use(d);
    }
    return name;
  }

  std::string add_rule(const std::string& hint, std::string body) {
    std::string name = sanitize(hint) + "-" + std::to_string(rules_.size());
    rules_.emplace_back(name, std::move(body));
    return name;
  }

  // A rule name (or a primitive's) for the schema at path.
  Result<std::string> rule_for(const Json& s, const std::string& path, const std::string& hint) {
    CRIA_ASSIGN_OR_RETURN(std::string body, expression(s, path));
    if (used_.count(body)) return body;  // a bare primitive
    return add_rule(hint, std::move(body));
  }

  Result<std::string> alternatives(const Json& list, const std::string& path, const char* key) {
    if (!list.is_array() || list.empty())
      return unsupported(std::string(key) + " that is not a non-empty list", path);
    std::string out;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string sub = path + "/" + key + "/" + std::to_string(i);
      CRIA_ASSIGN_OR_RETURN(std::string name, rule_for(list[i], sub, key));
      out += (i ? " | " : "") + name;
    }
    return out;
  }

  Result<std::string> expression(const Json& s, const std::string& path) {
    if (s.is_boolean()) {
      if (s.get<bool>()) return use("value");
      return unsupported("the schema false", path);
    }
    if (!s.is_object()) return unsupported("a schema that is not an object", path);
    static const char* kRefused[] = {"not",
                                     "if",
                                     "then",
                                     "else",
                                     "prefixItems",
                                     "patternProperties",
                                     "contains",
                                     "dependentSchemas",
                                     "dependentRequired",
                                     "propertyNames",
                                     "unevaluatedProperties"};
    for (const char* k : kRefused) {
      if (s.contains(k)) return unsupported("\"" + std::string(k) + "\"", path);
    }
    if (auto it = s.find("$ref"); it != s.end()) return ref(*it, path);
    if (auto it = s.find("allOf"); it != s.end()) {
      if (!it->is_array() || it->size() != 1)
        return unsupported("\"allOf\" of several schemas", path);
      return expression((*it)[0], path + "/allOf/0");
    }
    if (auto it = s.find("const"); it != s.end()) return json_literal(*it);
    if (auto it = s.find("enum"); it != s.end()) {
      if (!it->is_array() || it->empty())
        return unsupported("\"enum\" that is not a non-empty list", path);
      std::string out;
      for (const Json& v : *it) out += (out.empty() ? "" : " | ") + json_literal(v);
      return out;
    }
    if (auto it = s.find("anyOf"); it != s.end()) return alternatives(*it, path, "anyOf");
    if (auto it = s.find("oneOf"); it != s.end()) return alternatives(*it, path, "oneOf");
    auto type = s.find("type");
    if (type == s.end()) {
      if (s.contains("properties")) return object(s, path);
      if (s.contains("items")) return array(s, path);
      return use("value");
    }
    if (type->is_array()) {
      std::string out;
      for (const Json& t : *type) {
        Json one = s;
        one["type"] = t;
        CRIA_ASSIGN_OR_RETURN(std::string name,
                              rule_for(one, path, t.is_string() ? t.get<std::string>() : "t"));
        out += (out.empty() ? "" : " | ") + name;
      }
      if (out.empty()) return unsupported("an empty \"type\" list", path);
      return out;
    }
    return typed(s, type->is_string() ? type->get<std::string>() : type->dump(), path);
  }

  Result<std::string> typed(const Json& s, const std::string& type, const std::string& path) {
    if (type == "object") return object(s, path);
    if (type == "array") return array(s, path);
    if (type == "string") return string(s, path);
    if (type == "number" || type == "integer" || type == "boolean" || type == "null")
      return use(type);
    return unsupported("type \"" + type + "\"", path);
  }

  Result<int64_t> count(const Json& s, const char* key, int64_t fallback, const std::string& path) {
    auto it = s.find(key);
    if (it == s.end()) return fallback;
    if (!it->is_number_integer() || it->get<int64_t>() < 0)
      return unsupported("\"" + std::string(key) + "\" that is not a non-negative integer", path);
    if (it->get<int64_t>() > kMaxCount)
      return unsupported("\"" + std::string(key) + "\" above " + std::to_string(kMaxCount), path);
    return it->get<int64_t>();
  }

  Result<std::string> string(const Json& s, const std::string& path) {
    CRIA_ASSIGN_OR_RETURN(int64_t min, count(s, "minLength", 0, path));
    CRIA_ASSIGN_OR_RETURN(int64_t max, count(s, "maxLength", -1, path));
    if (min == 0 && max < 0) return use("string");
    if (max >= 0 && max < min) return unsupported("maxLength below minLength", path);
    use("char");
    return R"("\"" char)" + count_suffix(min, max) + R"( "\"")";
  }

  Result<std::string> array(const Json& s, const std::string& path) {
    CRIA_ASSIGN_OR_RETURN(int64_t min, count(s, "minItems", 0, path));
    CRIA_ASSIGN_OR_RETURN(int64_t max, count(s, "maxItems", -1, path));
    if (max >= 0 && max < min) return unsupported("maxItems below minItems", path);
    std::string item = use("value");
    if (auto it = s.find("items"); it != s.end()) {
      CRIA_ASSIGN_OR_RETURN(item, rule_for(*it, path + "/items", "item"));
    }
    use("ws");
    if (max == 0) return std::string(R"("[" ws "]")");
    const std::string more = R"(( "," ws )" + item + " ws )";
    if (min == 0) {
      return R"("[" ws ( )" + item + " ws " + more + count_suffix(0, max < 0 ? -1 : max - 1) +
             R"( )? "]")";
    }
    return R"("[" ws )" + item + " ws " + more + count_suffix(min - 1, max < 0 ? -1 : max - 1) +
           R"( "]")";
  }

  Result<std::string> object(const Json& s, const std::string& path) {
    use("ws");
    auto props = s.find("properties");
    if (props == s.end() || !props->is_object() || props->empty()) {
      auto extra = s.find("additionalProperties");
      if (extra == s.end() || !extra->is_object()) return use("object");
      CRIA_ASSIGN_OR_RETURN(std::string v,
                            rule_for(*extra, path + "/additionalProperties", "value"));
      use("string");
      const std::string member = R"(string ws ":" ws )" + v + " ws";
      return R"("{" ws ( )" + member + R"( ( "," ws )" + member + R"( )* )? "}")";
    }
    std::set<std::string> required;
    if (auto r = s.find("required"); r != s.end() && r->is_array()) {
      for (const Json& name : *r)
        if (name.is_string()) required.insert(name.get<std::string>());
    }
    std::vector<std::pair<std::string, bool>> kvs;  // member expression, required
    for (const auto& [name, sub] : props->items()) {
      CRIA_ASSIGN_OR_RETURN(std::string v, rule_for(sub, path + "/properties/" + name, name));
      kvs.emplace_back(json_literal(Json(name)) + R"( ws ":" ws )" + v + " ws",
                       required.count(name) > 0);
    }
    return R"("{" ws )" + members_from(kvs, 0) + R"( "}")";
  }

  // The members from index k on when none has been written yet: a required one must
  // come next; an optional one may be skipped.
  std::string members_from(const std::vector<std::pair<std::string, bool>>& kvs, size_t k) {
    if (k == kvs.size()) return "";
    std::string rest;
    for (size_t i = k + 1; i < kvs.size(); ++i) {
      rest += kvs[i].second ? R"( "," ws )" + kvs[i].first : R"( ( "," ws )" + kvs[i].first + " )?";
    }
    std::string with = "( " + kvs[k].first + rest + " )";
    if (kvs[k].second) return with;
    std::string without = members_from(kvs, k + 1);
    return add_rule("members", with + " | ( " + without + " )");
  }

  Result<std::string> ref(const Json& target, const std::string& path) {
    if (!target.is_string()) return unsupported("a \"$ref\" that is not a string", path);
    const std::string r = target.get<std::string>();
    if (auto it = refs_.find(r); it != refs_.end()) return it->second;
    const Json* node = nullptr;
    for (const char* prefix : {"#/$defs/", "#/definitions/"}) {
      const std::string p = prefix;
      if (r.compare(0, p.size(), p) != 0) continue;
      const std::string section = p.substr(2, p.size() - 3);
      const std::string name = r.substr(p.size());
      auto sec = root_.find(section);
      if (sec != root_.end() && sec->is_object() && sec->contains(name)) node = &(*sec)[name];
    }
    if (r == "#") node = &root_;
    if (!node)
      return unsupported(
          "\"$ref\" \"" + r + "\" (only #, #/$defs/NAME and #/definitions/NAME that exist)", path);
    // Name the rule before converting, so recursive references find it.
    const std::string name = add_rule("ref-" + r.substr(r.rfind('/') + 1), "");
    refs_[r] = name;
    CRIA_ASSIGN_OR_RETURN(std::string body, expression(*node, r.substr(1)));
    for (auto& [n, b] : rules_)
      if (n == name) b = std::move(body);
    return name;
  }

  const Json& root_;
  std::vector<std::pair<std::string, std::string>> rules_;
  std::set<std::string> used_;
  std::map<std::string, std::string> refs_;
};

}  // namespace

std::string json_object_gbnf() {
  std::string out = "root ::= object\n";
  for (const auto& [name, rule] : kPrimitives) out += std::string(name) + " ::= " + rule + "\n";
  return out;
}

Result<std::string> json_schema_to_gbnf(std::string_view schema_json, std::string_view root_rule) {
  Json schema = Json::parse(schema_json, nullptr, false);
  if (schema.is_discarded())
    return make_error(Errc::kInvalidArgument, "the format is not valid JSON");
  return SchemaConverter(schema).convert(root_rule);
}

std::string gbnf_literal(std::string_view bytes) {
  return literal(bytes);
}

Result<std::shared_ptr<const Grammar>> json_object_grammar() {
  return Grammar::parse(json_object_gbnf());
}

Result<std::shared_ptr<const Grammar>> json_schema_grammar(std::string_view schema_json) {
  CRIA_ASSIGN_OR_RETURN(std::string text, json_schema_to_gbnf(schema_json));
  auto g = Grammar::parse(text);
  if (!g.ok()) {
    return make_error(
        Errc::kInvalidArgument,
        "unsupported JSON schema: its grammar does not compile (" + g.error().message + ")");
  }
  return g;
}

}  // namespace cria
