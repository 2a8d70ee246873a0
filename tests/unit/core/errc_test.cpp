#include "core/errc.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/result.hpp"

namespace kaiwu {
namespace {

TEST(Errc, NamesAreStableSnakeCase) {
  EXPECT_EQ(errc_name(Errc::kOk), "ok");
  EXPECT_EQ(errc_name(Errc::kInvalidArgument), "invalid_argument");
  EXPECT_EQ(errc_name(Errc::kNotFound), "not_found");
  EXPECT_EQ(errc_name(Errc::kAlreadyExists), "already_exists");
  EXPECT_EQ(errc_name(Errc::kUnauthenticated), "unauthenticated");
  EXPECT_EQ(errc_name(Errc::kPermissionDenied), "permission_denied");
  EXPECT_EQ(errc_name(Errc::kFailedPrecondition), "failed_precondition");
  EXPECT_EQ(errc_name(Errc::kResourceExhausted), "resource_exhausted");
  EXPECT_EQ(errc_name(Errc::kPayloadTooLarge), "payload_too_large");
  EXPECT_EQ(errc_name(Errc::kUnavailable), "unavailable");
  EXPECT_EQ(errc_name(Errc::kTimeout), "timeout");
  EXPECT_EQ(errc_name(Errc::kIo), "io_error");
  EXPECT_EQ(errc_name(Errc::kCorruption), "corruption");
  EXPECT_EQ(errc_name(Errc::kInternal), "internal");
}

TEST(Errc, EveryCodeHasItsOwnName) {
  std::set<std::string_view> names;
  const auto last = static_cast<std::uint16_t>(Errc::kInternal);
  for (std::uint16_t i = 0; i <= last; ++i) {
    std::string_view name = errc_name(static_cast<Errc>(i));
    EXPECT_FALSE(name.empty());
    EXPECT_EQ(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string_view::npos)
        << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), last + 1u);
}

TEST(Errc, UnknownValueIsInternal) { EXPECT_EQ(errc_name(static_cast<Errc>(999)), "internal"); }

Result<int> parse_positive(int v) {
  if (v <= 0) return fail(Errc::kInvalidArgument, "v: must be positive");
  return v;
}

Result<int> doubled(int v) {
  int x = KAIWU_TRY(parse_positive(v));
  return 2 * x;
}

Status check(int v) {
  KAIWU_TRY_STATUS(parse_positive(v));
  return ok();
}

TEST(Result, TryPropagatesErrorsAndYieldsValues) {
  auto good = doubled(21);
  ASSERT_TRUE(good);
  EXPECT_EQ(*good, 42);
  auto r = doubled(0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(r.error().message, "v: must be positive");
  EXPECT_TRUE(check(1));
  ASSERT_FALSE(check(-1));
  EXPECT_EQ(check(-1).error().message, "v: must be positive");
}

TEST(Result, DefaultErrorIsInternal) {
  Error e;
  EXPECT_EQ(e.code, Errc::kInternal);
  EXPECT_TRUE(e.message.empty());
}

}  // namespace
}  // namespace kaiwu
