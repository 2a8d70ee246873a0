#include "models/expr.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <vector>

namespace kaiwu::models {

struct Expr::Node {
  enum class Kind { kLiteral, kVariable, kUnary, kBinary, kCall } kind = Kind::kLiteral;
  ExprValue value;
  std::string name;  // variable, operator or function
  std::vector<std::shared_ptr<const Node>> args;
};

namespace {

using Node = Expr::Node;
using NodePtr = std::shared_ptr<const Node>;

constexpr std::size_t kMaxText = 1024;
constexpr int kMaxDepth = 64;

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<NodePtr> parse() {
    auto n = KAIWU_TRY(parse_or());
    skip();
    if (pos_ != s_.size()) return error("unexpected '" + std::string(1, s_[pos_]) + "'");
    return n;
  }

 private:
  std::unexpected<Error> error(std::string_view why) const {
    return fail(Errc::kInvalidArgument, fmt::format("at column {}: {}", pos_ + 1, why));
  }
  void skip() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n')) ++pos_;
  }
  static bool ident_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
  }
  // Consumes op when it is next (a word operator only as a whole word).
  bool take(std::string_view op) {
    skip();
    if (s_.substr(pos_, op.size()) != op) return false;
    if (ident_char(op[0]) && pos_ + op.size() < s_.size() && ident_char(s_[pos_ + op.size()])) return false;
    // "<" must not take the first half of "<=", "=" of "==", "!" of "!=".
    if (op.size() == 1 && pos_ + 1 < s_.size() && s_[pos_ + 1] == '=' && (op == "<" || op == ">" || op == "!"))
      return false;
    pos_ += op.size();
    return true;
  }
  // Operands are parsed into locals before make(): KAIWU_TRY returning from inside a braced
  // list would skip destroying the elements already built (a leak).
  static NodePtr make(Node::Kind k, std::string name, std::vector<NodePtr> args) {
    auto n = std::make_shared<Node>();
    n->kind = k;
    n->name = std::move(name);
    n->args = std::move(args);
    return n;
  }
  struct Depth {
    int& d;
    explicit Depth(int& v) : d(++v) {}
    ~Depth() { --d; }
  };

  Result<NodePtr> parse_or() {
    Depth guard(depth_);
    if (depth_ > kMaxDepth) return error("expression nested too deeply");
    auto left = KAIWU_TRY(parse_and());
    while (take("||") || take("or")) {
      auto right = KAIWU_TRY(parse_and());
      left = make(Node::Kind::kBinary, "or", {left, right});
    }
    return left;
  }
  Result<NodePtr> parse_and() {
    auto left = KAIWU_TRY(parse_not());
    while (take("&&") || take("and")) {
      auto right = KAIWU_TRY(parse_not());
      left = make(Node::Kind::kBinary, "and", {left, right});
    }
    return left;
  }
  Result<NodePtr> parse_not() {
    Depth guard(depth_);
    if (depth_ > kMaxDepth) return error("expression nested too deeply");
    if (take("!") || take("not")) {
      auto operand = KAIWU_TRY(parse_not());
      return make(Node::Kind::kUnary, "not", {operand});
    }
    return parse_cmp();
  }
  Result<NodePtr> parse_cmp() {
    auto left = KAIWU_TRY(parse_sum());
    for (std::string_view op : {"<=", ">=", "==", "!=", "<", ">"}) {
      if (!take(op)) continue;
      auto right = KAIWU_TRY(parse_sum());
      return make(Node::Kind::kBinary, std::string(op), {left, right});
    }
    return left;
  }
  Result<NodePtr> parse_sum() {
    auto left = KAIWU_TRY(parse_prod());
    for (;;) {
      std::string op;
      if (take("+")) op = "+";
      else if (take("-")) op = "-";
      else return left;
      auto right = KAIWU_TRY(parse_prod());
      left = make(Node::Kind::kBinary, op, {left, right});
    }
  }
  Result<NodePtr> parse_prod() {
    auto left = KAIWU_TRY(parse_unary());
    for (;;) {
      std::string op;
      if (take("*")) op = "*";
      else if (take("/")) op = "/";
      else if (take("%")) op = "%";
      else return left;
      auto right = KAIWU_TRY(parse_unary());
      left = make(Node::Kind::kBinary, op, {left, right});
    }
  }
  Result<NodePtr> parse_unary() {
    Depth guard(depth_);
    if (depth_ > kMaxDepth) return error("expression nested too deeply");
    if (take("-")) {
      auto operand = KAIWU_TRY(parse_unary());
      return make(Node::Kind::kUnary, "-", {operand});
    }
    return parse_atom();
  }
  Result<NodePtr> parse_atom() {
    skip();
    if (pos_ >= s_.size()) return error("expected a value");
    const char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      auto inner = KAIWU_TRY(parse_or());
      if (!take(")")) return error("expected ')'");
      return inner;
    }
    if (c == '\'' || c == '"') return parse_string(c);
    if ((c >= '0' && c <= '9') || c == '.') return parse_number();
    if (!ident_char(c)) return error("unexpected '" + std::string(1, c) + "'");
    const std::size_t start = pos_;
    while (pos_ < s_.size() && ident_char(s_[pos_])) ++pos_;
    std::string name(s_.substr(start, pos_ - start));
    if (name == "true" || name == "false") {
      auto n = std::make_shared<Node>();
      n->value = name == "true";
      return NodePtr(n);
    }
    if (take("(")) return parse_call(std::move(name));
    auto n = make(Node::Kind::kVariable, std::move(name), {});
    return n;
  }
  Result<NodePtr> parse_call(std::string name) {
    static constexpr std::string_view kFns[] = {"abs", "min", "max", "sqrt", "floor", "ceil", "round"};
    bool known = false;
    for (auto f : kFns) known = known || f == name;
    if (!known) return error("unknown function " + name);
    std::vector<NodePtr> args;
    if (!take(")")) {
      do {
        auto arg = KAIWU_TRY(parse_or());
        args.push_back(std::move(arg));
      } while (take(","));
      if (!take(")")) return error("expected ')' after the arguments of " + name);
    }
    const bool variadic = name == "min" || name == "max";
    if (variadic ? args.empty() : args.size() != 1)
      return error(fmt::format("{} takes {} argument{}", name, variadic ? "1 or more" : "1", variadic ? "s" : ""));
    return make(Node::Kind::kCall, std::move(name), std::move(args));
  }
  Result<NodePtr> parse_string(char quote) {
    const std::size_t start = ++pos_;
    while (pos_ < s_.size() && s_[pos_] != quote) ++pos_;
    if (pos_ >= s_.size()) return error("unterminated string");
    auto n = std::make_shared<Node>();
    n->value = std::string(s_.substr(start, pos_ - start));
    ++pos_;
    return NodePtr(n);
  }
  Result<NodePtr> parse_number() {
    double v = 0;
    auto [p, ec] = std::from_chars(s_.data() + pos_, s_.data() + s_.size(), v);
    if (ec != std::errc()) return error("malformed number");
    pos_ = static_cast<std::size_t>(p - s_.data());
    auto n = std::make_shared<Node>();
    n->value = v;
    return NodePtr(n);
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

std::string_view type_name(const ExprValue& v) {
  if (std::holds_alternative<double>(v)) return "number";
  if (std::holds_alternative<bool>(v)) return "boolean";
  return "string";
}

Result<double> number(const ExprValue& v, std::string_view op) {
  if (auto* d = std::get_if<double>(&v)) return *d;
  return fail(Errc::kInvalidArgument, fmt::format("'{}' needs numbers, got a {}", op, type_name(v)));
}

Result<ExprValue> eval_node(const Node& n, const Variables& vars);

Result<ExprValue> eval_call(const Node& n, const Variables& vars) {
  std::vector<double> a;
  a.reserve(n.args.size());
  for (const auto& arg : n.args) {
    const auto v = KAIWU_TRY(eval_node(*arg, vars));
    a.push_back(KAIWU_TRY(number(v, n.name)));
  }
  if (n.name == "min" || n.name == "max") {
    double r = a[0];
    for (double v : a) r = n.name == "min" ? std::min(r, v) : std::max(r, v);
    return ExprValue{r};
  }
  if (n.name == "abs") return ExprValue{std::abs(a[0])};
  if (n.name == "sqrt") return ExprValue{std::sqrt(a[0])};
  if (n.name == "floor") return ExprValue{std::floor(a[0])};
  if (n.name == "ceil") return ExprValue{std::ceil(a[0])};
  return ExprValue{std::round(a[0])};
}

Result<ExprValue> eval_binary(const Node& n, const Variables& vars) {
  const std::string& op = n.name;
  auto l = KAIWU_TRY(eval_node(*n.args[0], vars));
  if (op == "and" || op == "or") {  // short-circuit
    if (op == "and" && !truthy(l)) return ExprValue{false};
    if (op == "or" && truthy(l)) return ExprValue{true};
    return ExprValue{truthy(KAIWU_TRY(eval_node(*n.args[1], vars)))};
  }
  auto r = KAIWU_TRY(eval_node(*n.args[1], vars));
  if (op == "==") return ExprValue{l == r};
  if (op == "!=") return ExprValue{l != r};
  if (op == "+" && std::holds_alternative<std::string>(l) && std::holds_alternative<std::string>(r))
    return ExprValue{std::get<std::string>(l) + std::get<std::string>(r)};
  if (std::holds_alternative<std::string>(l) && std::holds_alternative<std::string>(r) && op.size() <= 2 &&
      (op[0] == '<' || op[0] == '>')) {
    const auto& a = std::get<std::string>(l);
    const auto& b = std::get<std::string>(r);
    if (op == "<") return ExprValue{a < b};
    if (op == "<=") return ExprValue{a <= b};
    if (op == ">") return ExprValue{a > b};
    return ExprValue{a >= b};
  }
  const double a = KAIWU_TRY(number(l, op));
  const double b = KAIWU_TRY(number(r, op));
  if (op == "<") return ExprValue{a < b};
  if (op == "<=") return ExprValue{a <= b};
  if (op == ">") return ExprValue{a > b};
  if (op == ">=") return ExprValue{a >= b};
  if (op == "+") return ExprValue{a + b};
  if (op == "-") return ExprValue{a - b};
  if (op == "*") return ExprValue{a * b};
  if (op == "/") return ExprValue{a / b};
  return ExprValue{std::fmod(a, b)};
}

Result<ExprValue> eval_node(const Node& n, const Variables& vars) {
  switch (n.kind) {
    case Node::Kind::kLiteral: return n.value;
    case Node::Kind::kVariable: {
      auto it = vars.find(n.name);
      if (it == vars.end()) return fail(Errc::kInvalidArgument, "unknown variable " + n.name);
      return it->second;
    }
    case Node::Kind::kUnary: {
      auto v = KAIWU_TRY(eval_node(*n.args[0], vars));
      if (n.name == "not") return ExprValue{!truthy(v)};
      return ExprValue{-KAIWU_TRY(number(v, "-"))};
    }
    case Node::Kind::kBinary: return eval_binary(n, vars);
    case Node::Kind::kCall: return eval_call(n, vars);
  }
  return fail(Errc::kInternal, "bad expression node");
}

}  // namespace

Result<Expr> Expr::parse(std::string_view text) {
  if (text.size() > kMaxText) return fail(Errc::kInvalidArgument, "expression longer than 1024 characters");
  Expr e;
  e.root_ = KAIWU_TRY(Parser(text).parse());
  e.text_ = std::string(text);
  return e;
}

Result<ExprValue> Expr::eval(const Variables& vars) const {
  if (!root_) return fail(Errc::kInvalidArgument, "empty expression");
  return eval_node(*root_, vars);
}

bool truthy(const ExprValue& v) {
  if (auto* b = std::get_if<bool>(&v)) return *b;
  if (auto* d = std::get_if<double>(&v)) return *d != 0;
  return !std::get<std::string>(v).empty();
}

}  // namespace kaiwu::models
