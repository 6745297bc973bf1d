// Parsing Go template text into a Tree (internal to src/template).
#pragma once

#include <string_view>

#include "base/result.h"
#include "template/ast.h"

namespace cria::tmpl {

Result<Tree> parse_tree(std::string_view text);

}  // namespace cria::tmpl
