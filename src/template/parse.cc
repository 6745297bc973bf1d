#include "template/parse.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "template/funcs.h"
#include "template/lex.h"

namespace cria::tmpl {
namespace {

constexpr int kMaxNesting = 100;

enum class End { kEof, kEnd, kElse };

struct ListEnd {
  End kind = End::kEof;
  const Action* action = nullptr;
};

// Tokens of one action being read.
struct Cursor {
  const Action& action;
  size_t i = 0;
  bool done() const { return i >= action.tokens.size(); }
  const Token& peek() const { return action.tokens[i]; }
  bool at(Tok kind, size_t ahead = 0) const {
    return i + ahead < action.tokens.size() && action.tokens[i + ahead].kind == kind;
  }
  bool at_ident(std::string_view word) const { return at(Tok::kIdent) && peek().text == word; }
  Pos pos() const { return done() ? action.pos : peek().pos; }
};

Error parse_error(Pos pos, const std::string& what) {
  return make_error(Errc::kInvalidArgument, pos_prefix(pos) + what);
}

Result<Json> number_literal(const Token& tok) {
  std::string text;
  for (char c : tok.text)
    if (c != '_') text += c;
  bool is_float = text.find_first_of(".eE") != std::string::npos &&
                  text.find("0x") == std::string::npos && text.find("0X") == std::string::npos;
  if (!is_float) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(text.c_str(), &end, 0);
    if (errno == 0 && end && *end == '\0') return Json(v);
  }
  char* end = nullptr;
  double d = std::strtod(text.c_str(), &end);
  if (!end || *end != '\0') return parse_error(tok.pos, "bad number syntax: " + tok.text);
  return Json(d);
}

class Parser {
 public:
  explicit Parser(std::vector<Item> items) : items_(std::move(items)) {}

  Result<Tree> run() {
    scopes_.push_back({"$"});
    CRIA_ASSIGN_OR_RETURN(ListEnd end, parse_list(&tree_.root, true));
    if (end.kind != End::kEof)
      return parse_error(end.action->pos,
                         end.kind == End::kEnd ? "unexpected {{end}}" : "unexpected {{else}}");
    return std::move(tree_);
  }

 private:
  Result<ListEnd> parse_list(NodeList* out, bool top_level);
  Result<std::shared_ptr<Node>> parse_action(const Action& a, bool top_level, ListEnd* end);
  Result<std::shared_ptr<Node>> parse_control(NodeKind kind, Cursor& c);
  Status parse_else(NodeKind kind, const Action& else_action, Node* node);
  Status parse_define(Cursor& c, bool is_block, std::shared_ptr<Node>* call);
  Result<std::shared_ptr<Node>> parse_template_call(Cursor& c);
  Result<std::shared_ptr<Pipe>> parse_pipeline(Cursor& c, bool allow_decl, bool is_range,
                                               bool nested);
  Status parse_decl(Cursor& c, Pipe* pipe, bool is_range);
  Result<Command> parse_command(Cursor& c, bool nested);
  Result<Arg> parse_operand(Cursor& c);
  Result<Arg> parse_term(Cursor& c);
  bool declared(const std::string& name) const {
    for (const auto& scope : scopes_)
      if (std::find(scope.begin(), scope.end(), name) != scope.end()) return true;
    return false;
  }
  Status expect_end_of_action(const Cursor& c, const char* what) {
    if (c.done()) return {};
    return parse_error(c.pos(), std::string("unexpected \"") + c.peek().text + "\" in " + what);
  }

  std::vector<Item> items_;
  size_t next_ = 0;
  Tree tree_;
  std::vector<std::vector<std::string>> scopes_;
  int range_depth_ = 0;
  int nesting_ = 0;
};

Result<ListEnd> Parser::parse_list(NodeList* out, bool top_level) {
  while (next_ < items_.size()) {
    const Item& item = items_[next_++];
    if (item.is_text) {
      auto node = std::make_shared<Node>();
      node->kind = NodeKind::kText;
      node->text = item.text;
      out->push_back(std::move(node));
      continue;
    }
    ListEnd end;
    CRIA_ASSIGN_OR_RETURN(std::shared_ptr<Node> node, parse_action(item.action, top_level, &end));
    if (end.kind != End::kEof) return end;
    if (node) out->push_back(std::move(node));
  }
  return ListEnd{};
}

Result<std::shared_ptr<Node>> Parser::parse_action(const Action& a, bool top_level, ListEnd* end) {
  Cursor c{a};
  if (c.done()) return parse_error(a.pos, "missing value for command");
  if (c.at(Tok::kIdent)) {
    const std::string& word = c.peek().text;
    if (word == "end" || word == "else") {
      if (word == "end") {
        ++c.i;
        CRIA_RETURN_IF_ERROR(expect_end_of_action(c, "end"));
      }
      *end = ListEnd{word == "end" ? End::kEnd : End::kElse, &a};
      return std::shared_ptr<Node>();
    }
    if (word == "if" || word == "range" || word == "with") {
      ++c.i;
      NodeKind kind = word == "if"      ? NodeKind::kIf
                      : word == "range" ? NodeKind::kRange
                                        : NodeKind::kWith;
      return parse_control(kind, c);
    }
    if (word == "define" || word == "block") {
      if (word == "define" && !top_level)
        return parse_error(a.pos, "{{define}} is only allowed at the top level");
      ++c.i;
      std::shared_ptr<Node> call;
      CRIA_RETURN_IF_ERROR(parse_define(c, word == "block", &call));
      return call;
    }
    if (word == "template") {
      ++c.i;
      return parse_template_call(c);
    }
    if (word == "break" || word == "continue") {
      if (range_depth_ == 0) return parse_error(a.pos, "{{" + word + "}} outside {{range}}");
      ++c.i;
      CRIA_RETURN_IF_ERROR(expect_end_of_action(c, word.c_str()));
      auto node = std::make_shared<Node>();
      node->kind = word == "break" ? NodeKind::kBreak : NodeKind::kContinue;
      node->pos = a.pos;
      return node;
    }
  }
  auto node = std::make_shared<Node>();
  node->kind = NodeKind::kAction;
  node->pos = a.pos;
  CRIA_ASSIGN_OR_RETURN(node->pipe, parse_pipeline(c, true, false, false));
  return node;
}

Result<std::shared_ptr<Node>> Parser::parse_control(NodeKind kind, Cursor& c) {
  if (++nesting_ > kMaxNesting) return parse_error(c.action.pos, "template nested too deeply");
  auto node = std::make_shared<Node>();
  node->kind = kind;
  node->pos = c.action.pos;
  scopes_.emplace_back();
  CRIA_ASSIGN_OR_RETURN(node->pipe, parse_pipeline(c, true, kind == NodeKind::kRange, false));
  if (kind == NodeKind::kRange) ++range_depth_;
  auto body = parse_list(&node->list, false);
  if (kind == NodeKind::kRange) --range_depth_;
  if (!body.ok()) return std::move(body).error();
  if (body->kind == End::kEof) return parse_error(node->pos, "unexpected EOF: missing {{end}}");
  if (body->kind == End::kElse) CRIA_RETURN_IF_ERROR(parse_else(kind, *body->action, node.get()));
  scopes_.pop_back();
  --nesting_;
  return node;
}

Status Parser::parse_else(NodeKind kind, const Action& else_action, Node* node) {
  node->has_else = true;
  Cursor c{else_action, 1};
  if (!c.done()) {
    // {{else if ...}} / {{else with ...}}: a nested control sharing the {{end}}.
    bool chain = (kind == NodeKind::kIf && c.at_ident("if")) ||
                 (kind == NodeKind::kWith && c.at_ident("with"));
    if (!chain) return parse_error(c.pos(), "unexpected \"" + c.peek().text + "\" after else");
    ++c.i;
    CRIA_ASSIGN_OR_RETURN(auto nested, parse_control(kind, c));
    node->else_list.push_back(std::move(nested));
    return {};
  }
  scopes_.back().clear();
  CRIA_ASSIGN_OR_RETURN(ListEnd end, parse_list(&node->else_list, false));
  if (end.kind == End::kEof) return parse_error(node->pos, "unexpected EOF: missing {{end}}");
  if (end.kind == End::kElse) return parse_error(end.action->pos, "expected {{end}}, got {{else}}");
  return {};
}

Status Parser::parse_define(Cursor& c, bool is_block, std::shared_ptr<Node>* call) {
  Pos pos = c.action.pos;
  if (!c.at(Tok::kString)) return parse_error(c.pos(), "expected a quoted template name");
  std::string name = c.peek().text;
  ++c.i;
  std::shared_ptr<Pipe> pipe;
  if (is_block) {
    CRIA_ASSIGN_OR_RETURN(pipe, parse_pipeline(c, false, false, false));
  } else {
    CRIA_RETURN_IF_ERROR(expect_end_of_action(c, "define"));
  }
  if (++nesting_ > kMaxNesting) return parse_error(pos, "template nested too deeply");
  auto saved_scopes = std::move(scopes_);
  int saved_range = range_depth_;
  scopes_ = {{"$"}};
  range_depth_ = 0;
  NodeList body;
  auto end = parse_list(&body, false);
  scopes_ = std::move(saved_scopes);
  range_depth_ = saved_range;
  --nesting_;
  if (!end.ok()) return std::move(end).error();
  if (end->kind != End::kEnd) return parse_error(pos, "missing {{end}} for \"" + name + "\"");
  tree_.defines[name] = std::move(body);
  if (is_block) {
    auto node = std::make_shared<Node>();
    node->kind = NodeKind::kTemplate;
    node->pos = pos;
    node->text = name;
    node->pipe = std::move(pipe);
    *call = std::move(node);
  }
  return {};
}

Result<std::shared_ptr<Node>> Parser::parse_template_call(Cursor& c) {
  auto node = std::make_shared<Node>();
  node->kind = NodeKind::kTemplate;
  node->pos = c.action.pos;
  if (!c.at(Tok::kString)) return parse_error(c.pos(), "expected a quoted template name");
  node->text = c.peek().text;
  ++c.i;
  if (!c.done()) {
    CRIA_ASSIGN_OR_RETURN(node->pipe, parse_pipeline(c, false, false, false));
  }
  return node;
}

Status Parser::parse_decl(Cursor& c, Pipe* pipe, bool is_range) {
  size_t n = 0;
  if (c.at(Tok::kVariable) && (c.at(Tok::kDeclare, 1) || c.at(Tok::kAssign, 1))) {
    n = 1;
  } else if (is_range && c.at(Tok::kVariable) && c.at(Tok::kComma, 1) && c.at(Tok::kVariable, 2) &&
             (c.at(Tok::kDeclare, 3) || c.at(Tok::kAssign, 3))) {
    n = 2;
  } else {
    return {};
  }
  pipe->is_assign = c.at(Tok::kAssign, n == 1 ? 1 : 3);
  for (size_t k = 0; k < n; ++k) {
    const Token& var = c.action.tokens[c.i + 2 * k];
    if (var.text == "$") return parse_error(var.pos, "cannot assign to $");
    if (pipe->is_assign && !declared(var.text))
      return parse_error(var.pos, "undefined variable \"" + var.text + "\"");
    pipe->decl.push_back(var.text);
  }
  c.i += n == 1 ? 2 : 4;
  if (!pipe->is_assign)
    for (const auto& name : pipe->decl) scopes_.back().push_back(name);
  return {};
}

Result<std::shared_ptr<Pipe>> Parser::parse_pipeline(Cursor& c, bool allow_decl, bool is_range,
                                                     bool nested) {
  auto pipe = std::make_shared<Pipe>();
  pipe->pos = c.pos();
  // Declared names become visible only after the whole pipeline, as in Go.
  std::vector<std::string> pending;
  if (allow_decl) {
    size_t before = scopes_.back().size();
    CRIA_RETURN_IF_ERROR(parse_decl(c, pipe.get(), is_range));
    pending.assign(scopes_.back().begin() + before, scopes_.back().end());
    scopes_.back().resize(before);
  }
  while (true) {
    CRIA_ASSIGN_OR_RETURN(Command cmd, parse_command(c, nested));
    pipe->cmds.push_back(std::move(cmd));
    if (c.at(Tok::kPipe)) {
      ++c.i;
      continue;
    }
    break;
  }
  if (nested) {
    if (!c.at(Tok::kRParen)) return parse_error(c.pos(), "unclosed left paren");
    ++c.i;
  } else if (!c.done()) {
    return parse_error(c.pos(), "unexpected \"" + c.peek().text + "\" in command");
  }
  for (auto& name : pending) scopes_.back().push_back(std::move(name));
  return pipe;
}

Result<Command> Parser::parse_command(Cursor& c, bool nested) {
  Command cmd;
  cmd.pos = c.pos();
  while (!c.done() && !c.at(Tok::kPipe) && !c.at(Tok::kRParen)) {
    if (!cmd.args.empty() && !c.peek().space_before && !c.at(Tok::kLParen))
      return parse_error(c.pos(), "missing space before \"" + c.peek().text + "\"");
    CRIA_ASSIGN_OR_RETURN(Arg arg, parse_operand(c));
    cmd.args.push_back(std::move(arg));
  }
  if (c.at(Tok::kRParen) && !nested) return parse_error(c.pos(), "unexpected right paren");
  if (cmd.args.empty()) return parse_error(c.pos(), "missing value for command");
  const Arg& first = cmd.args.front();
  if (first.kind == ArgKind::kLiteral && first.literal.is_null() && first.name == "nil")
    return parse_error(first.pos, "nil is not a command");
  return cmd;
}

Result<Arg> Parser::parse_operand(Cursor& c) {
  CRIA_ASSIGN_OR_RETURN(Arg arg, parse_term(c));
  while (c.at(Tok::kField) && !c.peek().space_before) {
    bool chainable =
        arg.kind == ArgKind::kField || arg.kind == ArgKind::kVariable || arg.kind == ArgKind::kPipe;
    if (!chainable) return parse_error(c.pos(), "unexpected . after term");
    arg.fields.push_back(c.peek().text);
    ++c.i;
  }
  return arg;
}

Result<Arg> Parser::parse_term(Cursor& c) {
  const Token& tok = c.peek();
  Arg arg;
  arg.pos = tok.pos;
  ++c.i;
  switch (tok.kind) {
    case Tok::kDot:
      arg.kind = ArgKind::kDot;
      return arg;
    case Tok::kField:
      arg.kind = ArgKind::kField;
      arg.fields.push_back(tok.text);
      return arg;
    case Tok::kVariable:
      if (!declared(tok.text))
        return parse_error(tok.pos, "undefined variable \"" + tok.text + "\"");
      arg.kind = ArgKind::kVariable;
      arg.name = tok.text;
      return arg;
    case Tok::kString:
      arg.kind = ArgKind::kLiteral;
      arg.literal = tok.text;
      return arg;
    case Tok::kChar:
      arg.kind = ArgKind::kLiteral;
      arg.literal = tok.char_value;
      return arg;
    case Tok::kNumber: {
      arg.kind = ArgKind::kLiteral;
      CRIA_ASSIGN_OR_RETURN(arg.literal, number_literal(tok));
      return arg;
    }
    case Tok::kLParen: {
      if (++nesting_ > kMaxNesting) return parse_error(tok.pos, "template nested too deeply");
      arg.kind = ArgKind::kPipe;
      CRIA_ASSIGN_OR_RETURN(arg.pipe, parse_pipeline(c, false, false, true));
      --nesting_;
      return arg;
    }
    case Tok::kIdent:
      if (tok.text == "true" || tok.text == "false" || tok.text == "nil") {
        arg.kind = ArgKind::kLiteral;
        arg.name = tok.text;
        if (tok.text != "nil") arg.literal = tok.text == "true";
        return arg;
      }
      if (!find_function(tok.text)) {
        static constexpr std::string_view kKeywords[] = {"if",    "else",    "end",      "range",
                                                         "with",  "define",  "template", "block",
                                                         "break", "continue"};
        for (auto k : kKeywords)
          if (tok.text == k) return parse_error(tok.pos, "unexpected \"" + tok.text + "\"");
        return parse_error(tok.pos, "function \"" + tok.text + "\" not defined");
      }
      arg.kind = ArgKind::kIdentifier;
      arg.name = tok.text;
      return arg;
    default:
      break;
  }
  std::string what = tok.kind == Tok::kRParen    ? ")"
                     : tok.kind == Tok::kPipe    ? "|"
                     : tok.kind == Tok::kComma   ? ","
                     : tok.kind == Tok::kDeclare ? ":="
                                                 : "=";
  return parse_error(tok.pos, "unexpected \"" + what + "\" in operand");
}

}  // namespace

Result<Tree> parse_tree(std::string_view text) {
  CRIA_ASSIGN_OR_RETURN(std::vector<Item> items, lex(text));
  return Parser(std::move(items)).run();
}

}  // namespace cria::tmpl
