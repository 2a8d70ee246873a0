// Guard and action expressions of workflow models: a small, deterministic expression language
// over numbers, booleans and strings (no loops, no calls out).
//
//   or   := and  (("||" | "or") and)*          not  := ("!" | "not") not | cmp
//   and  := not  (("&&" | "and") not)*         cmp  := sum (("<"|"<="|">"|">="|"=="|"!=") sum)?
//   sum  := prod (("+"|"-") prod)*              prod := unary (("*"|"/"|"%") unary)*
//   unary:= "-" unary | atom                     atom := number | 'str' | "str" | true | false
//                                                      | name | fn "(" or ("," or)* ")" | "(" or ")"
//   fn   := abs | min | max | sqrt | floor | ceil | round
//
// "+" joins strings when both sides are strings. Errors: parse() kInvalidArgument "at column N:
// …"; eval() kInvalidArgument naming an unknown variable or a type mismatch.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "core/result.hpp"

namespace kaiwu::models {

using ExprValue = std::variant<double, bool, std::string>;
using Variables = std::map<std::string, ExprValue, std::less<>>;

class Expr {
 public:
  struct Node;

  static Result<Expr> parse(std::string_view text);  // at most 1024 characters, depth 64
  Result<ExprValue> eval(const Variables& vars) const;
  const std::string& text() const { return text_; }

 private:
  std::shared_ptr<const Node> root_;
  std::string text_;
};

// A value's truth for guards: booleans as they are, numbers ≠ 0, strings non-empty.
bool truthy(const ExprValue& v);

}  // namespace kaiwu::models
