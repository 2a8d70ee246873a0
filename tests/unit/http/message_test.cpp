#include "http/message.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kaiwu::http {
namespace {

TEST(ParseTarget, PathOnly) {
  auto t = parse_target("/api/v1/devices");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->path, "/api/v1/devices");
  EXPECT_TRUE(t->query.empty());
}

TEST(ParseTarget, PercentDecodesPathButKeepsPlus) {
  auto t = parse_target("/files/a%20b%2Fc+d%e5%9b%ad");
  ASSERT_TRUE(t.has_value());
  // RFC 3986 §2.1: %XX in either case; '+' is a literal in a path.
  EXPECT_EQ(t->path, "/files/a b/c+d\xe5\x9b\xad");
  EXPECT_TRUE(t->query.empty());
}

TEST(ParseTarget, DecodesQueryWithPlusAsSpace) {
  auto t = parse_target("/search?q=hello+world&name=%E5%BC%80%E7%89%A9&x%3Dy=a%26b");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->path, "/search");
  ASSERT_EQ(t->query.size(), 3u);
  EXPECT_EQ(t->query[0], (std::pair<std::string, std::string>{"q", "hello world"}));
  EXPECT_EQ(t->query[1], (std::pair<std::string, std::string>{"name", "\xE5\xBC\x80\xE7\x89\xA9"}));
  EXPECT_EQ(t->query[2], (std::pair<std::string, std::string>{"x=y", "a&b"}));
}

TEST(ParseTarget, RepeatedKeysKeptInOrder) {
  auto t = parse_target("/p?tag=a&tag=b&other=1&tag=c");
  ASSERT_TRUE(t.has_value());
  ASSERT_EQ(t->query.size(), 4u);
  EXPECT_EQ(t->query[0].first, "tag");
  EXPECT_EQ(t->query[0].second, "a");
  EXPECT_EQ(t->query[1].second, "b");
  EXPECT_EQ(t->query[2].first, "other");
  EXPECT_EQ(t->query[3].second, "c");
}

TEST(ParseTarget, KeyWithoutValueAndEmptyPairs) {
  auto t = parse_target("/p?flag&&a=&=v&");
  ASSERT_TRUE(t.has_value());
  ASSERT_EQ(t->query.size(), 3u);
  EXPECT_EQ(t->query[0], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_EQ(t->query[1], (std::pair<std::string, std::string>{"a", ""}));
  EXPECT_EQ(t->query[2], (std::pair<std::string, std::string>{"", "v"}));
}

TEST(ParseTarget, EmptyQuery) {
  auto t = parse_target("/p?");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->path, "/p");
  EXPECT_TRUE(t->query.empty());
}

TEST(ParseTarget, EscapeAtVeryEndIsDecoded) {
  auto t = parse_target("/a%41?k=%42");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->path, "/aA");
  ASSERT_EQ(t->query.size(), 1u);
  EXPECT_EQ(t->query[0].second, "B");
}

TEST(ParseTarget, BadEscapesAreRejected) {
  EXPECT_FALSE(parse_target("/a%"));
  EXPECT_FALSE(parse_target("/a%4"));
  EXPECT_FALSE(parse_target("/a%zz"));
  EXPECT_FALSE(parse_target("/a%4g/b"));
  EXPECT_FALSE(parse_target("/a?k=%"));
  EXPECT_FALSE(parse_target("/a?k=%2"));
  EXPECT_FALSE(parse_target("/a?k%G1=v"));
  EXPECT_FALSE(parse_target("/a?ok=1&bad=%x1"));
}

TEST(Request, HeaderLookupIsCaseInsensitive) {
  Request req;
  req.headers = {{"Content-Type", "application/json"},
                 {"x-request-id", "abc"},
                 {"X-Dup", "1"},
                 {"x-dup", "2"}};
  EXPECT_EQ(req.header("content-type"), "application/json");
  EXPECT_EQ(req.header("CONTENT-TYPE"), "application/json");
  EXPECT_EQ(req.header("X-Request-ID"), "abc");
  EXPECT_EQ(req.header("x-dup"), "1");  // first one wins
  EXPECT_EQ(req.header("Content-Typ"), "");
  EXPECT_EQ(req.header("Authorization"), "");
}

TEST(Request, QueryParamReturnsFirstExactMatch) {
  Request req;
  req.query = {{"limit", "10"}, {"q", ""}, {"limit", "20"}, {"Limit", "30"}};
  ASSERT_TRUE(req.query_param("limit").has_value());
  EXPECT_EQ(*req.query_param("limit"), "10");
  ASSERT_TRUE(req.query_param("q").has_value());
  EXPECT_EQ(*req.query_param("q"), "");
  EXPECT_EQ(*req.query_param("Limit"), "30");
  EXPECT_FALSE(req.query_param("cursor").has_value());
}

TEST(Request, PathParam) {
  Request req;
  req.path_params["id"] = "dev-1";
  EXPECT_EQ(req.param("id"), "dev-1");
  EXPECT_EQ(req.param("other"), "");
}

TEST(Method, NamesRoundTrip) {
  const std::pair<Method, std::string_view> cases[] = {
      {Method::kGet, "GET"},         {Method::kHead, "HEAD"},   {Method::kPost, "POST"},
      {Method::kPut, "PUT"},         {Method::kPatch, "PATCH"}, {Method::kDelete, "DELETE"},
      {Method::kOptions, "OPTIONS"},
  };
  for (const auto& [m, name] : cases) {
    EXPECT_EQ(method_name(m), name);
    EXPECT_EQ(parse_method(name), m) << name;
  }
  EXPECT_EQ(method_name(Method::kOther), "OTHER");
}

TEST(Method, UnknownAndLowercaseAreOther) {
  EXPECT_EQ(parse_method("get"), Method::kOther);  // RFC 9110 §9.1: methods are case-sensitive
  EXPECT_EQ(parse_method("TRACE"), Method::kOther);
  EXPECT_EQ(parse_method(""), Method::kOther);
}

TEST(Response, Factories) {
  auto j = Response::json(201, R"({"id":"x"})");
  EXPECT_EQ(j.status, 201u);
  EXPECT_EQ(j.content_type, "application/json");
  EXPECT_EQ(j.body, R"({"id":"x"})");

  auto t = Response::text(200, "ok");
  EXPECT_EQ(t.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(t.body, "ok");
  auto m = Response::text(200, "# HELP", "text/plain; version=0.0.4");
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4");

  auto n = Response::no_content();
  EXPECT_EQ(n.status, 204u);
  EXPECT_TRUE(n.content_type.empty());
  EXPECT_TRUE(n.body.empty());
}

}  // namespace
}  // namespace kaiwu::http
