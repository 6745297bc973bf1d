// Printing values the way Go and Python do (internal to src/template).
#pragma once

#include <string>

#include "template/ast.h"

namespace cria::tmpl {

// Go's fmt %v of a value: strings as is, numbers as Go prints int64/float64, null as
// "<no value>", arrays and objects as their Go JSON.
void append_go_print(const Json& v, std::string* out);
std::string go_print(const Json& v);

// Go's json.Marshal: compact, "<", ">", "&", U+2028 and U+2029 escaped, keys in data order.
void append_go_json(const Json& v, std::string* out);

// Python's json.dumps(v, ensure_ascii=False[, indent=indent]); indent < 0 means compact with
// ", " and ": " separators.
void append_py_json(const Json& v, int indent, std::string* out);

// Go's strconv.FormatFloat(f, 'g', -1, 64) as %v prints it (exponent when exp < -4 || >= 6).
std::string go_float(double f);

}  // namespace cria::tmpl
