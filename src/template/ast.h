// The parse tree of a Go text/template (internal to src/template).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cria::tmpl {

using Json = nlohmann::ordered_json;

struct Pos {
  int line = 1;
  int col = 1;
};

struct Pipe;

// One operand of a command.
enum class ArgKind {
  kDot,         // .
  kField,       // .A.B            (fields)
  kVariable,    // $x.A.B          (name, fields)
  kIdentifier,  // printf          (name: a function)
  kLiteral,     // "s", 1, 1.5, true, nil  (literal)
  kPipe,        // ( pipeline ).A  (pipe, fields)
};

struct Arg {
  ArgKind kind = ArgKind::kDot;
  Pos pos;
  std::string name;
  std::vector<std::string> fields;
  Json literal;
  std::shared_ptr<Pipe> pipe;
};

struct Command {
  Pos pos;
  std::vector<Arg> args;
};

struct Pipe {
  Pos pos;
  bool is_assign = false;         // `$x = ...` rather than `$x := ...`
  std::vector<std::string> decl;  // declared or assigned variables
  std::vector<Command> cmds;
};

enum class NodeKind { kText, kAction, kIf, kRange, kWith, kTemplate, kBreak, kContinue };

struct Node;
using NodeList = std::vector<std::shared_ptr<Node>>;

struct Node {
  NodeKind kind = NodeKind::kText;
  Pos pos;
  std::string text;            // kText: the text; kTemplate: the template name
  std::shared_ptr<Pipe> pipe;  // may be null for kTemplate without a pipeline
  NodeList list;
  NodeList else_list;
  bool has_else = false;
};

struct Tree {
  NodeList root;
  std::map<std::string, NodeList> defines;  // {{define "name"}} and {{block "name"}}
};

}  // namespace cria::tmpl
