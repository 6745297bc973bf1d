#include "support/json_schema_check.h"

#include <algorithm>
#include <cstdint>

namespace cria::test {

namespace {

using Json = nlohmann::ordered_json;

size_t code_points(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool has_type(const Json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  return v.is_null();
}

}  // namespace

const Json& resolve_ref(const std::string& ref, const Json& root) {
  if (ref == "#") return root;
  const std::string section = ref.rfind("#/$defs/", 0) == 0 ? "$defs" : "definitions";
  return root.at(section).at(ref.substr(ref.rfind('/') + 1));
}

bool schema_valid(const Json& v, const Json& s, const Json& root, std::string& why) {
  if (s.is_boolean()) return s.get<bool>();
  if (auto r = s.find("$ref"); r != s.end())
    return schema_valid(v, resolve_ref(*r, root), root, why);
  auto fail = [&](const std::string& m) {
    why = m + ": " + v.dump() + " against " + s.dump();
    return false;
  };
  if (auto c = s.find("const"); c != s.end() && v != *c) return fail("const");
  if (auto e = s.find("enum"); e != s.end() && std::find(e->begin(), e->end(), v) == e->end())
    return fail("enum");
  for (const char* k : {"anyOf", "oneOf"}) {
    if (auto a = s.find(k); a != s.end()) {
      bool any = false;
      for (const Json& sub : *a) any = any || schema_valid(v, sub, root, why);
      if (!any) return fail(k);
    }
  }
  if (auto t = s.find("type"); t != s.end()) {
    bool ok = t->is_string() && has_type(v, *t);
    for (const Json& one : t->is_array() ? *t : Json::array()) ok = ok || has_type(v, one);
    if (!ok) return fail("type");
  }
  if (v.is_object() && s.contains("properties")) {
    const Json& props = s["properties"];
    for (const auto& [k, sub] : v.items()) {
      if (!props.contains(k)) return fail("extra property " + k);
      if (!schema_valid(sub, props[k], root, why)) return false;
    }
    for (const Json& r : s.value("required", Json::array()))
      if (!v.contains(r.get<std::string>())) return fail("missing " + r.get<std::string>());
  }
  if (v.is_array()) {
    if (v.size() < s.value("minItems", size_t{0})) return fail("minItems");
    if (v.size() > s.value("maxItems", SIZE_MAX)) return fail("maxItems");
    if (s.contains("items"))
      for (const Json& x : v)
        if (!schema_valid(x, s["items"], root, why)) return false;
  }
  if (v.is_string()) {
    const size_t n = code_points(v.get<std::string>());
    if (n < s.value("minLength", size_t{0})) return fail("minLength");
    if (n > s.value("maxLength", SIZE_MAX)) return fail("maxLength");
  }
  return true;
}

}  // namespace cria::test
