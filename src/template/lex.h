// Tokens of one template action (internal to src/template).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "template/ast.h"

namespace cria::tmpl {

enum class Tok {
  kIdent,     // a keyword or a function name
  kField,     // .Name (text holds "Name")
  kDot,       // .
  kVariable,  // $name or $ (text holds "$name")
  kString,    // "..." or `...` (text holds the decoded value)
  kNumber,    // text holds the literal
  kChar,      // 'x' (text holds the decoded code point as UTF-8; value in number)
  kDeclare,   // :=
  kAssign,    // =
  kPipe,      // |
  kLParen,
  kRParen,
  kComma,
};

struct Token {
  Tok kind = Tok::kIdent;
  std::string text;
  Pos pos;
  bool space_before = false;  // separated from the previous token by white space
  long long char_value = 0;
};

// One {{ }} action of the source.
struct Action {
  Pos pos;
  std::vector<Token> tokens;
};

// The text pieces and actions of a template, after trimming and removing comments.
struct Item {
  bool is_text = true;
  std::string text;
  Action action;
};

Result<std::vector<Item>> lex(std::string_view src);

std::string pos_prefix(Pos pos);  // "template: 3:7: "

}  // namespace cria::tmpl
