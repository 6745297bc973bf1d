#include "template/template.h"

#include <algorithm>
#include <set>

#include "template/ast.h"
#include "template/exec.h"
#include "template/parse.h"
#include "template/text_util.h"

namespace cria::tmpl {
namespace {

void collect_pipe(const Pipe& p, std::set<std::string>* out);

void collect_arg(const Arg& a, std::set<std::string>* out) {
  if (a.kind == ArgKind::kVariable) out->insert(lower_case(a.name));
  if (a.kind == ArgKind::kField || a.kind == ArgKind::kVariable || a.kind == ArgKind::kPipe)
    for (const auto& f : a.fields) out->insert(lower_case(f));
  if (a.pipe) collect_pipe(*a.pipe, out);
}

void collect_pipe(const Pipe& p, std::set<std::string>* out) {
  for (const auto& d : p.decl) out->insert(lower_case(d));
  for (const auto& c : p.cmds)
    for (const auto& a : c.args) collect_arg(a, out);
}

void collect_list(const NodeList& list, std::set<std::string>* out) {
  for (const auto& n : list) {
    if (n->pipe) collect_pipe(*n->pipe, out);
    collect_list(n->list, out);
    collect_list(n->else_list, out);
  }
}

// Ollama's deleteNode: keep everything up to and including the first `.Response` field in tree
// order, drop everything after it.
class ResponseCut {
 public:
  NodeList list(const NodeList& in) {
    NodeList out;
    for (const auto& n : in)
      if (auto r = node(n)) out.push_back(std::move(r));
    return out;
  }

 private:
  std::shared_ptr<Node> node(const std::shared_ptr<Node>& n) {
    if (cut_) return nullptr;
    switch (n->kind) {
      case NodeKind::kAction: {
        auto p = pipe(n->pipe);
        if (!p) return nullptr;
        auto copy = std::make_shared<Node>(*n);
        copy->pipe = std::move(p);
        return copy;
      }
      case NodeKind::kIf:
      case NodeKind::kRange:
      case NodeKind::kWith: {
        auto copy = std::make_shared<Node>(*n);
        copy->list = list(n->list);
        if (n->has_else) copy->else_list = list(n->else_list);
        return copy;
      }
      default:
        return n;
    }
  }

  std::shared_ptr<Pipe> pipe(const std::shared_ptr<Pipe>& p) {
    if (cut_) return nullptr;
    auto copy = std::make_shared<Pipe>(*p);
    copy->cmds.clear();
    for (const auto& c : p->cmds) {
      Command cmd = c;
      cmd.args.clear();
      for (const auto& a : c.args) {
        if (a.kind == ArgKind::kField &&
            std::find(a.fields.begin(), a.fields.end(), "Response") != a.fields.end()) {
          cut_ = true;
          cmd.args.push_back(a);
          continue;
        }
        if (cut_) continue;
        if (a.kind == ArgKind::kPipe && a.fields.empty()) {
          auto nested = pipe(a.pipe);
          if (!nested) continue;
          Arg arg = a;
          arg.pipe = std::move(nested);
          cmd.args.push_back(std::move(arg));
          continue;
        }
        cmd.args.push_back(a);
      }
      if (cmd.args.empty()) return nullptr;
      copy->cmds.push_back(std::move(cmd));
    }
    if (copy->cmds.empty()) return nullptr;
    return copy;
  }

  bool cut_ = false;
};

}  // namespace

Result<Template> Template::parse(std::string_view text) {
  CRIA_ASSIGN_OR_RETURN(Tree tree, parse_tree(text));
  std::set<std::string> ids;
  collect_list(tree.root, &ids);
  for (const auto& [name, body] : tree.defines) collect_list(body, &ids);
  Template t;
  t.tree_ = std::make_shared<const Tree>(std::move(tree));
  t.identifiers_.assign(ids.begin(), ids.end());
  t.source_ = std::string(text);
  return t;
}

Result<std::string> Template::execute(const Json& data, const ExecOptions& options) const {
  return execute_tree(*tree_, data, options);
}

bool Template::mentions(std::string_view lowercase_name) const {
  return std::binary_search(identifiers_.begin(), identifiers_.end(), lowercase_name);
}

Template Template::cut_after_response() const {
  auto tree = std::make_shared<Tree>();
  tree->root = ResponseCut().list(tree_->root);
  tree->defines = tree_->defines;
  Template t = *this;
  t.tree_ = std::move(tree);
  return t;
}

}  // namespace cria::tmpl
