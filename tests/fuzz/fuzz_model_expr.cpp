// libFuzzer target for the workflow guard/action expression language (src/models/expr.hpp):
// untrusted text from uploaded model packages. Any input must parse or be rejected with
// kInvalidArgument and a message; a parsed expression must evaluate (against a fixed set of
// variables) to a value or kInvalidArgument, never crash, and evaluate the same twice.
//
// Build with clang (see README.md and build_libfuzzer.sh):
//   build-fuzz/fuzz_model_expr -max_total_time=60 /tmp/expr-corpus tests/fuzz/corpus/model_expr
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "models/expr.hpp"
#include "fuzz_check.hpp"

namespace {

bool same(const kaiwu::models::ExprValue& a, const kaiwu::models::ExprValue& b) {
  if (a.index() != b.index()) return false;
  if (const auto* d = std::get_if<double>(&a)) {
    const double e = std::get<double>(b);
    return *d == e || (*d != *d && e != e);  // NaN equals NaN here
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kaiwu::models;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto e = Expr::parse(text);
  if (!e) {
    FUZZ_CHECK(e.error().code == kaiwu::Errc::kInvalidArgument);
    FUZZ_CHECK(!e.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(size <= 1024);
  const Variables vars{{"a", ExprValue{3.0}}, {"b", ExprValue{true}}, {"s", ExprValue{std::string("x")}},
                       {"severity", ExprValue{4.0}}};
  auto v1 = e->eval(vars);
  auto v2 = e->eval(vars);
  FUZZ_CHECK(v1.has_value() == v2.has_value());
  if (!v1) {
    FUZZ_CHECK(v1.error().code == kaiwu::Errc::kInvalidArgument);
    return 0;
  }
  FUZZ_CHECK(same(*v1, *v2));
  (void)truthy(*v1);
  return 0;
}
