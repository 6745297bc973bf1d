// Values during execution: shared, usually borrowed views of JSON (internal to src/template).
#pragma once

#include <memory>

#include "template/ast.h"

namespace cria::tmpl {

// A value is a pointer to JSON that keeps its owner alive: borrowed values point into the
// caller's data (which outlives the execution), computed values own their JSON.
using Value = std::shared_ptr<const Json>;

inline Value own(Json j) {
  return std::make_shared<const Json>(std::move(j));
}
inline Value borrow(const Json& j) {
  return Value(Value(), &j);
}
// A value inside `parent`, sharing its ownership.
inline Value child(const Value& parent, const Json& member) {
  return Value(parent, &member);
}
const Value& null_value();

// Go's truthiness: false, 0, null, and empty strings, arrays and objects are false.
bool truth(const Json& v);

}  // namespace cria::tmpl
