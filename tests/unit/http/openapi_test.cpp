#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cctype>
#include <string>

#include "http/router.hpp"

namespace kaiwu::http {
namespace {

namespace json = boost::json;
using model::Role;

Handler ok_handler() {
  return [](Request&) -> Result<Response> { return Response::no_content(); };
}

class OpenApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Route ping;
    ping.method = Method::kGet;
    ping.pattern = "/api/v1/ping";
    ping.summary = "Liveness";
    ping.tag = "system";
    ping.access = Access::anyone();
    ping.handler = ok_handler();
    router_.add(std::move(ping));

    Route list;
    list.method = Method::kGet;
    list.pattern = "/api/v1/devices";
    list.summary = "List devices";
    list.tag = "devices";
    list.access = Access::signed_in();
    list.query = {ParamDoc{"limit", "integer", "page size", false},
                  ParamDoc{"enterprise_id", "string", "filter", true}};
    list.response_schema = json::object{{"type", "array"}};
    list.handler = ok_handler();
    router_.add(std::move(list));

    Route create;
    create.method = Method::kPost;
    create.pattern = "/api/v1/devices";
    create.summary = "Create a device";
    create.access = Access::only({Role::kTenantAdmin, Role::kEnterpriseAdmin});
    create.request_schema = json::object{{"type", "object"}, {"required", json::array{"name"}}};
    create.success_status = 201;
    create.handler = ok_handler();
    router_.add(std::move(create));

    Route point;
    point.method = Method::kDelete;
    point.pattern = "/api/v1/devices/{device_id}/points/{point}";
    point.summary = "Delete a point";
    point.access = Access::signed_in();
    point.handler = ok_handler();
    router_.add(std::move(point));

    Route metrics;
    metrics.method = Method::kGet;
    metrics.pattern = "/metrics";
    metrics.access = Access::anyone();
    metrics.response_schema = json::object{{"type", "string"}};
    metrics.response_content_type = "text/plain; version=0.0.4";
    metrics.handler = ok_handler();
    router_.add(std::move(metrics));

    doc_ = router_.openapi("Kaiwu", "0.1.0");
  }

  const json::object& op(const std::string& path, const std::string& method) {
    return doc_.at("paths").at(path).at(method).as_object();
  }

  Router router_;
  json::value doc_;
};

TEST_F(OpenApiTest, TopLevelStructure) {
  ASSERT_TRUE(doc_.is_object());
  EXPECT_EQ(doc_.at("openapi").as_string(), "3.0.3");
  EXPECT_EQ(doc_.at("info").at("title").as_string(), "Kaiwu");
  EXPECT_EQ(doc_.at("info").at("version").as_string(), "0.1.0");
  const auto& bearer = doc_.at("components").at("securitySchemes").at("bearer");
  EXPECT_EQ(bearer.at("type").as_string(), "http");
  EXPECT_EQ(bearer.at("scheme").as_string(), "bearer");
  const auto& error = doc_.at("components").at("schemas").at("Error");
  EXPECT_EQ(error.at("properties").at("error").at("properties").at("code").at("type").as_string(),
            "string");
  // The document survives a serialise/parse round trip unchanged.
  EXPECT_EQ(json::parse(json::serialize(doc_)), doc_);
}

TEST_F(OpenApiTest, EveryRouteAppearsWithLowercaseMethod) {
  const auto& paths = doc_.at("paths").as_object();
  EXPECT_EQ(paths.size(), 4u);  // two methods share /api/v1/devices
  for (const auto& r : router_.routes()) {
    std::string method(method_name(r.method));
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ASSERT_TRUE(paths.contains(r.pattern)) << r.pattern;
    const auto& item = paths.at(r.pattern).as_object();
    ASSERT_TRUE(item.contains(method)) << method << " " << r.pattern;
    EXPECT_FALSE(item.contains(std::string(method_name(r.method))));
    const auto& o = item.at(method).as_object();
    EXPECT_EQ(o.at("summary").as_string(), r.summary);
    EXPECT_EQ(o.at("operationId").as_string(),
              std::string(method_name(r.method)) + " " + r.pattern);
    EXPECT_TRUE(o.at("responses").as_object().contains(std::to_string(r.success_status)));
    EXPECT_TRUE(o.at("responses").as_object().contains("default"));
  }
  EXPECT_EQ(paths.at("/api/v1/devices").as_object().size(), 2u);
}

TEST_F(OpenApiTest, PathParametersAreRequiredAndInPath) {
  const auto& params =
      op("/api/v1/devices/{device_id}/points/{point}", "delete").at("parameters").as_array();
  ASSERT_EQ(params.size(), 2u);
  const char* names[] = {"device_id", "point"};
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(params[i].at("name").as_string(), names[i]);
    EXPECT_EQ(params[i].at("in").as_string(), "path");
    EXPECT_EQ(params[i].at("required").as_bool(), true);
    EXPECT_EQ(params[i].at("schema").at("type").as_string(), "string");
  }
  EXPECT_FALSE(op("/api/v1/devices/{device_id}/points/{point}", "delete").contains("requestBody"));
}

TEST_F(OpenApiTest, QueryParametersCarryTheirDocs) {
  const auto& o = op("/api/v1/devices", "get");
  const auto& params = o.at("parameters").as_array();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].at("name").as_string(), "limit");
  EXPECT_EQ(params[0].at("in").as_string(), "query");
  EXPECT_EQ(params[0].at("required").as_bool(), false);
  EXPECT_EQ(params[0].at("description").as_string(), "page size");
  EXPECT_EQ(params[0].at("schema").at("type").as_string(), "integer");
  EXPECT_EQ(params[1].at("name").as_string(), "enterprise_id");
  EXPECT_EQ(params[1].at("required").as_bool(), true);
  EXPECT_EQ(o.at("tags").as_array(), (json::array{"devices"}));
  EXPECT_EQ(o.at("responses").at("200").at("content").at("application/json").at("schema"),
            (json::object{{"type", "array"}}));
}

TEST_F(OpenApiTest, RequestBodyWhenSchemaSet) {
  const auto& o = op("/api/v1/devices", "post");
  ASSERT_TRUE(o.contains("requestBody"));
  EXPECT_EQ(o.at("requestBody").at("required").as_bool(), true);
  EXPECT_EQ(o.at("requestBody").at("content").at("application/json").at("schema"),
            (json::object{{"type", "object"}, {"required", json::array{"name"}}}));
  EXPECT_TRUE(o.at("responses").as_object().contains("201"));
  EXPECT_FALSE(o.at("responses").as_object().contains("200"));
  EXPECT_FALSE(o.contains("parameters"));
  EXPECT_FALSE(op("/api/v1/devices", "get").contains("requestBody"));
}

TEST_F(OpenApiTest, SecurityEmptyForPublicRoutesAndBearerOtherwise) {
  const auto& ping = op("/api/v1/ping", "get");
  EXPECT_TRUE(ping.at("security").as_array().empty());
  EXPECT_FALSE(ping.contains("x-roles"));

  const auto& list = op("/api/v1/devices", "get");
  EXPECT_EQ(list.at("security"), (json::array{json::object{{"bearer", json::array{}}}}));
  EXPECT_FALSE(list.contains("x-roles"));

  const auto& create = op("/api/v1/devices", "post");
  EXPECT_EQ(create.at("x-roles"), (json::array{"tenant-admin", "enterprise-admin"}));
}

TEST_F(OpenApiTest, ResponseContentTypeOfNonJsonRoute) {
  const auto& ok = op("/metrics", "get").at("responses").at("200").as_object();
  ASSERT_TRUE(ok.contains("content"));
  EXPECT_TRUE(ok.at("content").as_object().contains("text/plain; version=0.0.4"));
  EXPECT_FALSE(ok.at("content").as_object().contains("application/json"));
  // No response schema: no content.
  EXPECT_FALSE(op("/api/v1/ping", "get").at("responses").at("200").as_object().contains("content"));
}

}  // namespace
}  // namespace kaiwu::http
