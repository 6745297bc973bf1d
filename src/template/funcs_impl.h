// Function implementations split across files (internal to src/template).
#pragma once

#include <string>
#include <vector>

#include "template/funcs.h"

namespace cria::tmpl {

// printf.cc
Result<Value> fn_printf(const std::vector<Value>& args, const FuncEnv& env);
Result<Value> fn_print(const std::vector<Value>& args, const FuncEnv& env);
Result<Value> fn_println(const std::vector<Value>& args, const FuncEnv& env);
Result<Value> fn_html(const std::vector<Value>& args, const FuncEnv& env);
Result<Value> fn_urlquery(const std::vector<Value>& args, const FuncEnv& env);
Result<Value> fn_js(const std::vector<Value>& args, const FuncEnv& env);
Result<Value> fn_current_date(const std::vector<Value>& args, const FuncEnv& env);
Result<Value> fn_yesterday_date(const std::vector<Value>& args, const FuncEnv& env);
Result<Value> fn_to_typescript_type(const std::vector<Value>& args, const FuncEnv& env);

// Go's fmt.Sprint of the arguments.
std::string go_sprint(const std::vector<Value>& args);
// Go's time.Format for the date fields of `layout` (no clock fields).
std::string format_date(const Date& d, const std::string& layout);

}  // namespace cria::tmpl
