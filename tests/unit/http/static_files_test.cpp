#include "http/static_files.hpp"

#include "http/router.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <vector>

namespace kaiwu::http {
namespace {
namespace fs = std::filesystem;

std::string header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("kaiwu-static-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    root_ = base_ / "dist";
    fs::create_directories(root_ / "assets");
    write(root_ / "index.html", "<!doctype html><title>kaiwu</title>");
    write(root_ / "assets" / "index-abc123.js", "console.log(1)");
    write(root_ / "assets" / "index-abc123.css", "body{}");
    write(root_ / "favicon.svg", "<svg/>");
    write(base_ / "secret.txt", "top secret");
  }
  void TearDown() override { fs::remove_all(base_); }
  static void write(const fs::path& p, std::string_view text) { std::ofstream(p, std::ios::binary) << text; }

  std::optional<Response> get(std::string path, Method m = Method::kGet, std::string accept_encoding = {}) {
    Request req;
    req.method = m;
    req.target = path;
    req.path = std::move(path);
    if (!accept_encoding.empty()) req.headers.emplace_back("accept-encoding", std::move(accept_encoding));
    return StaticFiles(root_).serve(req);
  }

  fs::path base_, root_;
};

TEST_F(StaticFilesTest, ServesFilesWithTheirContentType) {
  auto js = get("/assets/index-abc123.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200u);
  EXPECT_EQ(js->body, "console.log(1)");
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  auto css = get("/assets/index-abc123.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
  auto svg = get("/favicon.svg");
  ASSERT_TRUE(svg);
  EXPECT_EQ(svg->content_type, "image/svg+xml");
  EXPECT_EQ(svg->body, "<svg/>");
  auto root = get("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(root->body, "<!doctype html><title>kaiwu</title>");
}

TEST_F(StaticFilesTest, PrecompressedSiblingServedOnlyToClientsThatAcceptGzip) {
  write(root_ / "assets" / "index-abc123.js.gz", "GZ-BYTES");
  write(root_ / "index.html.gz", "GZ-INDEX");
  auto gz = get("/assets/index-abc123.js", Method::kGet, "br, gzip;q=0.8, deflate");
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->status, 200u);
  EXPECT_EQ(gz->body, "GZ-BYTES");
  EXPECT_EQ(header(*gz, "Content-Encoding"), "gzip");
  EXPECT_EQ(header(*gz, "Vary"), "Accept-Encoding");
  EXPECT_EQ(gz->content_type, "text/javascript; charset=utf-8");  // the type of the file, not of the .gz
  EXPECT_EQ(header(*gz, "Cache-Control"), "public, max-age=31536000, immutable");

  for (std::string refused : {"", "identity", "br", "gzip;q=0", "GZIP; q=0.000", "deflate, x-gzip;q=0"}) {
    auto plain = get("/assets/index-abc123.js", Method::kGet, refused);
    ASSERT_TRUE(plain) << refused;
    EXPECT_EQ(plain->body, "console.log(1)") << refused;
    EXPECT_EQ(header(*plain, "Content-Encoding"), "") << refused;
    EXPECT_EQ(header(*plain, "Vary"), "Accept-Encoding") << refused;  // a cache must not reuse it for gzip clients
  }
  EXPECT_EQ(get("/assets/index-abc123.js", Method::kGet, "X-GZIP")->body, "GZ-BYTES");
  EXPECT_EQ(get("/assets/index-abc123.js", Method::kGet, "*;q=0.5")->body, "GZ-BYTES");

  // The SPA fallback and index.html itself keep their page headers when compressed.
  auto route = get("/devices/42", Method::kGet, "gzip");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->body, "GZ-INDEX");
  EXPECT_EQ(header(*route, "Content-Encoding"), "gzip");
  EXPECT_NE(header(*route, "Content-Security-Policy"), "");
  EXPECT_EQ(route->content_type, "text/html; charset=utf-8");

  // Files without a sibling are served as they are, with no Vary.
  auto css = get("/assets/index-abc123.css", Method::kGet, "gzip");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->body, "body{}");
  EXPECT_EQ(header(*css, "Content-Encoding"), "");
  EXPECT_EQ(header(*css, "Vary"), "");
}

TEST_F(StaticFilesTest, HashedAssetsAreImmutableAndIndexIsRevalidated) {
  EXPECT_EQ(header(*get("/assets/index-abc123.js"), "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(header(*get("/"), "Cache-Control"), "no-cache");
  EXPECT_EQ(header(*get("/devices/42"), "Cache-Control"), "no-cache");
  EXPECT_EQ(header(*get("/favicon.svg"), "X-Content-Type-Options"), "nosniff");
}

TEST_F(StaticFilesTest, PagesCarryASameOriginContentSecurityPolicy) {
  for (std::string path : {"/", "/index.html", "/devices/7"}) {
    auto r = get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_NE(header(*r, "Content-Security-Policy").find("script-src 'self';"), std::string::npos) << path;
    EXPECT_NE(header(*r, "Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos) << path;
    EXPECT_EQ(header(*r, "X-Frame-Options"), "DENY") << path;
  }
  EXPECT_EQ(header(*get("/assets/index-abc123.js"), "Content-Security-Policy"), "");
}

TEST_F(StaticFilesTest, ClientRoutesFallBackToIndex) {
  // Ids longer than the small-string buffer: a view into a temporary once made these 404 at random
  // (ASan reports the use after free).
  for (std::string path : {"/login", "/devices/dev_123", "/settings/", "/a/b/c", "/devices/01a217b9536e00a728f1",
                           "/rule-chains/01a217b988670055d54c/versions/3"}) {
    auto r = get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200u) << path;
    EXPECT_EQ(r->body, "<!doctype html><title>kaiwu</title>") << path;
  }
  auto head = get("/devices", Method::kHead);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200u);
}

TEST_F(StaticFilesTest, MissingFilesWithAnExtensionAre404NotIndex) {
  auto r = get("/assets/index-missing.js");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404u);
  EXPECT_EQ(get("/robots.txt")->status, 404u);
}

TEST_F(StaticFilesTest, ApiPathsAndOtherMethodsAreNotServed) {
  EXPECT_FALSE(get("/api/v1/nothing"));
  EXPECT_FALSE(get("/api"));
  EXPECT_FALSE(get("/", Method::kPost));
  EXPECT_FALSE(get("/devices", Method::kDelete));
  EXPECT_TRUE(get("/apiary"));  // only the /api/ prefix is reserved
}

TEST_F(StaticFilesTest, TraversalNeverLeavesTheRoot) {
  const std::vector<std::string> paths{"/../secret.txt", "/assets/../../secret.txt", "/..", "/./index.html",
                                       "/assets/..\\..\\secret.txt", std::string("/index.html\0x", 13)};
  for (const auto& path : paths) {
    auto r = get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404u) << path;
    EXPECT_EQ(r->body.find("top secret"), std::string::npos) << path;
  }
}

TEST_F(StaticFilesTest, SymlinksOutOfTheRootAre404) {
  fs::create_symlink(base_ / "secret.txt", root_ / "leak.txt");
  fs::create_directory_symlink(base_, root_ / "up");
  auto file = get("/leak.txt");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->status, 404u);
  auto dir = get("/up/secret.txt");
  ASSERT_TRUE(dir);
  EXPECT_EQ(dir->status, 404u);
}

TEST_F(StaticFilesTest, MissingBuildExplainsWhatToDo) {
  fs::remove(root_ / "index.html");
  auto r = get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404u);
  EXPECT_NE(r->body.find("make build"), std::string::npos);
}

TEST_F(StaticFilesTest, RouterAsksTheFallbackOnlyWhenNoRouteMatches) {
  Router router;
  router.add({.method = Method::kGet, .pattern = "/api/v1/ping", .access = Access::anyone(),
              .handler = [](Request&) -> Result<Response> { return Response::json(200, "{}"); }});
  StaticFiles files(root_);
  router.set_fallback([&files](const Request& req) { return files.serve(req); });
  auto call = [&router](std::string path, Method m = Method::kGet) {
    Request req;
    req.method = m;
    req.path = std::move(path);
    return router.dispatch(req);
  };
  auto api = call("/api/v1/ping");
  EXPECT_EQ(api.route, "/api/v1/ping");
  EXPECT_EQ(api.response.body, "{}");
  auto page = call("/devices");
  EXPECT_EQ(page.route, "static");
  EXPECT_EQ(page.response.content_type, "text/html; charset=utf-8");
  auto missing_api = call("/api/v1/nope");
  EXPECT_EQ(missing_api.response.status, 404u);
  EXPECT_EQ(missing_api.response.content_type, "application/json");
  EXPECT_NE(missing_api.response.body.find("no route"), std::string::npos);
  EXPECT_EQ(call("/api/v1/ping", Method::kPost).response.status, 405u);
}

TEST(StaticFilesRoot, ConfiguredRootWins) {
  EXPECT_EQ(resolve_web_root("/srv/kaiwu/web"), fs::path("/srv/kaiwu/web"));
  EXPECT_FALSE(resolve_web_root("").empty());
}

TEST(ContentType, UnknownIsOctetStream) {
  EXPECT_EQ(content_type_for(".exe"), "application/octet-stream");
  EXPECT_EQ(content_type_for(".woff2"), "font/woff2");
  EXPECT_EQ(content_type_for(".json"), "application/json");
}

}  // namespace
}  // namespace kaiwu::http
