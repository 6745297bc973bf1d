#include "template/exec.h"

#include <chrono>
#include <ctime>

#include "template/format.h"
#include "template/funcs.h"
#include "template/lex.h"
#include "template/text_util.h"
#include "template/value.h"

namespace cria::tmpl {

const Value& null_value() {
  static const Json kNull;
  static const Value kValue = borrow(kNull);
  return kValue;
}

bool truth(const Json& v) {
  switch (v.type()) {
    case Json::value_t::boolean:
      return v.get<bool>();
    case Json::value_t::number_integer:
      return v.get<long long>() != 0;
    case Json::value_t::number_unsigned:
      return v.get<unsigned long long>() != 0;
    case Json::value_t::number_float:
      return v.get<double>() != 0;
    case Json::value_t::string:
      return !v.get_ref<const std::string&>().empty();
    case Json::value_t::array:
    case Json::value_t::object:
      return !v.empty();
    default:
      return false;
  }
}

namespace {

Date local_today() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  localtime_r(&t, &tm);
  return Date{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

const char* type_name(const Json& v) {
  switch (v.type()) {
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "int";
    case Json::value_t::number_float:
      return "float64";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    default:
      return "nil";
  }
}

enum class Flow { kNormal, kBreak, kContinue };

class Executor {
 public:
  Executor(const Tree& tree, const ExecOptions& options)
      : tree_(tree), options_(options), env_{options.today ? *options.today : local_today()} {}

  Result<std::string> run(const Json& data) {
    Value dot = borrow(data);
    vars_.emplace_back("$", dot);
    CRIA_ASSIGN_OR_RETURN(Flow flow, walk(tree_.root, dot));
    (void)flow;
    return std::move(out_);
  }

 private:
  Result<Flow> walk(const NodeList& list, const Value& dot);
  Result<Flow> walk_node(const Node& n, const Value& dot);
  Result<Flow> walk_if_with(const Node& n, const Value& dot);
  Result<Flow> walk_range(const Node& n, const Value& dot);
  Result<Flow> range_iteration(const Node& n, const Value& key, const Value& elem, bool* stop);
  Status walk_template(const Node& n, const Value& dot);
  Result<Value> eval_pipe(const Pipe& p, const Value& dot, bool declare);
  Result<Value> eval_command(const Command& c, const Value& dot, const Value* final);
  Result<Value> eval_arg(const Arg& a, const Value& dot);
  Result<Value> eval_fields(Value v, const std::vector<std::string>& fields, Pos pos);
  Result<Value> call(const Command& c, size_t first, const Value& dot, const Value* final);
  Status step(Pos pos) {
    if (++steps_ > options_.max_steps)
      return error(pos,
                   "template execution exceeded " + std::to_string(options_.max_steps) + " steps");
    return {};
  }
  Status write(std::string_view s, Pos pos) {
    if (out_.size() + s.size() > options_.max_output)
      return error(pos,
                   "template output exceeds " + std::to_string(options_.max_output) + " bytes");
    out_ += s;
    return {};
  }
  Error error(Pos pos, const std::string& what) const {
    return make_error(Errc::kInvalidArgument, pos_prefix(pos) + "executing: " + what);
  }
  void set_var(const std::string& name, Value v) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) {
        it->second = std::move(v);
        return;
      }
    }
  }
  Value var(const std::string& name) const {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
      if (it->first == name) return it->second;
    return null_value();
  }

  const Tree& tree_;
  const ExecOptions& options_;
  FuncEnv env_;
  std::vector<std::pair<std::string, Value>> vars_;
  std::string out_;
  int depth_ = 0;
  size_t steps_ = 0;
};

Result<Flow> Executor::walk(const NodeList& list, const Value& dot) {
  for (const auto& node : list) {
    CRIA_ASSIGN_OR_RETURN(Flow flow, walk_node(*node, dot));
    if (flow != Flow::kNormal) return flow;
  }
  return Flow::kNormal;
}

Result<Flow> Executor::walk_node(const Node& n, const Value& dot) {
  CRIA_RETURN_IF_ERROR(step(n.pos));
  switch (n.kind) {
    case NodeKind::kText:
      CRIA_RETURN_IF_ERROR(write(n.text, n.pos));
      return Flow::kNormal;
    case NodeKind::kAction: {
      CRIA_ASSIGN_OR_RETURN(Value v, eval_pipe(*n.pipe, dot, true));
      if (n.pipe->decl.empty()) {
        std::string s;
        append_go_print(*v, &s);
        CRIA_RETURN_IF_ERROR(write(s, n.pos));
      }
      return Flow::kNormal;
    }
    case NodeKind::kIf:
    case NodeKind::kWith:
      return walk_if_with(n, dot);
    case NodeKind::kRange:
      return walk_range(n, dot);
    case NodeKind::kTemplate:
      CRIA_RETURN_IF_ERROR(walk_template(n, dot));
      return Flow::kNormal;
    case NodeKind::kBreak:
      return Flow::kBreak;
    case NodeKind::kContinue:
      return Flow::kContinue;
  }
  return Flow::kNormal;
}

Result<Flow> Executor::walk_if_with(const Node& n, const Value& dot) {
  size_t mark = vars_.size();
  auto v = eval_pipe(*n.pipe, dot, true);
  if (!v.ok()) return std::move(v).error();
  Result<Flow> flow = Flow::kNormal;
  if (truth(**v)) {
    flow = walk(n.list, n.kind == NodeKind::kWith ? *v : dot);
  } else if (n.has_else) {
    flow = walk(n.else_list, dot);
  }
  vars_.resize(mark);
  return flow;
}

Result<Flow> Executor::range_iteration(const Node& n, const Value& key, const Value& elem,
                                       bool* stop) {
  size_t mark = vars_.size();
  const auto& decl = n.pipe->decl;
  if (decl.size() == 1) {
    if (n.pipe->is_assign) {
      set_var(decl[0], elem);
    } else {
      vars_.emplace_back(decl[0], elem);
    }
  } else if (decl.size() == 2) {
    if (n.pipe->is_assign) {
      set_var(decl[0], key);
      set_var(decl[1], elem);
    } else {
      vars_.emplace_back(decl[0], key);
      vars_.emplace_back(decl[1], elem);
    }
  }
  auto flow = walk(n.list, elem);
  vars_.resize(mark);
  if (!flow.ok()) return std::move(flow).error();
  *stop = *flow == Flow::kBreak;
  return Flow::kNormal;
}

Result<Flow> Executor::walk_range(const Node& n, const Value& dot) {
  CRIA_ASSIGN_OR_RETURN(Value v, eval_pipe(*n.pipe, dot, false));
  const Json& j = *v;
  bool stop = false;
  size_t count = 0;
  if (j.is_array()) {
    for (size_t i = 0; i < j.size() && !stop; ++i, ++count)
      CRIA_RETURN_IF_ERROR(range_iteration(n, own(Json(i)), child(v, j[i]), &stop));
  } else if (j.is_object()) {
    for (auto it = j.begin(); it != j.end() && !stop; ++it, ++count)
      CRIA_RETURN_IF_ERROR(range_iteration(n, own(Json(it.key())), child(v, it.value()), &stop));
  } else if (j.is_number_integer()) {
    if (n.pipe->decl.size() > 1)
      return error(n.pos, "can't use two variables when ranging over an integer");
    long long limit = j.get<long long>();
    for (long long i = 0; i < limit && !stop; ++i, ++count) {
      CRIA_RETURN_IF_ERROR(step(n.pos));
      Value iv = own(Json(i));
      CRIA_RETURN_IF_ERROR(range_iteration(n, iv, iv, &stop));
    }
  } else if (!j.is_null()) {
    return error(n.pos, std::string("range can't iterate over a ") + type_name(j));
  }
  if (count == 0 && n.has_else) return walk(n.else_list, dot);
  return Flow::kNormal;
}

Status Executor::walk_template(const Node& n, const Value& dot) {
  auto it = tree_.defines.find(n.text);
  if (it == tree_.defines.end()) return error(n.pos, "no such template \"" + n.text + "\"");
  if (depth_ >= options_.max_depth)
    return error(n.pos, "templates nested more than " + std::to_string(options_.max_depth) +
                            " deep (recursive {{template}}?)");
  Value new_dot = null_value();
  if (n.pipe) {
    CRIA_ASSIGN_OR_RETURN(new_dot, eval_pipe(*n.pipe, dot, false));
  }
  auto saved = std::move(vars_);
  vars_.clear();
  vars_.emplace_back("$", new_dot);
  ++depth_;
  auto flow = walk(it->second, new_dot);
  --depth_;
  vars_ = std::move(saved);
  if (!flow.ok()) return std::move(flow).error();
  return {};
}

Result<Value> Executor::eval_pipe(const Pipe& p, const Value& dot, bool declare) {
  Value v;
  for (const auto& cmd : p.cmds) {
    CRIA_ASSIGN_OR_RETURN(v, eval_command(cmd, dot, v ? &v : nullptr));
  }
  if (declare) {
    for (const auto& name : p.decl) {
      if (p.is_assign) {
        set_var(name, v);
      } else {
        vars_.emplace_back(name, v);
      }
    }
  }
  return v;
}

Result<Value> Executor::eval_command(const Command& c, const Value& dot, const Value* final) {
  CRIA_RETURN_IF_ERROR(step(c.pos));
  const Arg& first = c.args.front();
  if (first.kind == ArgKind::kIdentifier) return call(c, 0, dot, final);
  if (c.args.size() > 1 || final) return error(first.pos, "can't give argument to non-function");
  return eval_arg(first, dot);
}

Result<Value> Executor::eval_arg(const Arg& a, const Value& dot) {
  switch (a.kind) {
    case ArgKind::kDot:
      return dot;
    case ArgKind::kField:
      return eval_fields(dot, a.fields, a.pos);
    case ArgKind::kVariable:
      return eval_fields(var(a.name), a.fields, a.pos);
    case ArgKind::kLiteral:
      return own(a.literal);
    case ArgKind::kPipe: {
      CRIA_ASSIGN_OR_RETURN(Value v, eval_pipe(*a.pipe, dot, false));
      return eval_fields(std::move(v), a.fields, a.pos);
    }
    case ArgKind::kIdentifier: {
      Command niladic;
      niladic.pos = a.pos;
      niladic.args.push_back(a);
      return call(niladic, 0, dot, nullptr);
    }
  }
  return null_value();
}

Result<Value> Executor::eval_fields(Value v, const std::vector<std::string>& fields, Pos pos) {
  for (const auto& name : fields) {
    const Json& j = *v;
    if (j.is_null()) return null_value();
    if (!j.is_object())
      return error(pos, "can't evaluate field " + name + " in type " + type_name(j));
    auto it = j.find(name);
    if (it == j.end()) it = j.find(snake_case(name));
    if (it == j.end()) it = j.find(lower_case(name));
    if (it == j.end()) return null_value();
    v = child(v, *it);
  }
  return v;
}

Result<Value> Executor::call(const Command& c, size_t first, const Value& dot, const Value* final) {
  const Arg& fn_arg = c.args[first];
  const FuncSpec* spec = find_function(fn_arg.name);
  if (!spec) return error(fn_arg.pos, "function \"" + fn_arg.name + "\" not defined");
  int argc = static_cast<int>(c.args.size() - first - 1) + (final ? 1 : 0);
  if (argc < spec->min_args || (spec->max_args >= 0 && argc > spec->max_args))
    return error(fn_arg.pos,
                 "wrong number of args for " + fn_arg.name + ": got " + std::to_string(argc));
  if (!spec->fn) {  // and / or: evaluate lazily, stop at the first decisive value
    bool is_and = fn_arg.name == "and";
    Value v;
    for (size_t i = first + 1; i <= c.args.size(); ++i) {
      if (i == c.args.size()) {
        if (!final) break;
        v = *final;
      } else {
        CRIA_ASSIGN_OR_RETURN(v, eval_arg(c.args[i], dot));
      }
      if (truth(*v) != is_and) return v;
    }
    return v;
  }
  std::vector<Value> args;
  args.reserve(argc);
  for (size_t i = first + 1; i < c.args.size(); ++i) {
    CRIA_ASSIGN_OR_RETURN(Value v, eval_arg(c.args[i], dot));
    args.push_back(std::move(v));
  }
  if (final) args.push_back(*final);
  auto r = spec->fn(args, env_);
  if (!r.ok()) return error(fn_arg.pos, "error calling " + fn_arg.name + ": " + r.error().message);
  if ((*r)->is_string() &&
      out_.size() + (*r)->get_ref<const std::string&>().size() > options_.max_output)
    return error(fn_arg.pos,
                 "template output exceeds " + std::to_string(options_.max_output) + " bytes");
  return r;
}

}  // namespace

Result<std::string> execute_tree(const Tree& tree, const Json& data, const ExecOptions& options) {
  return Executor(tree, options).run(data);
}

}  // namespace cria::tmpl
