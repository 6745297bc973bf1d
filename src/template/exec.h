// Running a parsed Tree (internal to src/template).
#pragma once

#include <string>

#include "base/result.h"
#include "template/ast.h"
#include "template/template.h"

namespace cria::tmpl {

Result<std::string> execute_tree(const Tree& tree, const Json& data, const ExecOptions& options);

}  // namespace cria::tmpl
