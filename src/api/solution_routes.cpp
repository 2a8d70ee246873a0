// /api/v1/solutions: the solution catalogue (report/solutions.hpp). Every signed-in user reads
// it; platform admins write it. APP, model and profile ids must exist (400 naming the field).
#include "api/common.hpp"
#include "core/json_parse.hpp"
#include "report/solutions.hpp"

namespace kaiwu::api {
namespace {

using model::Role;

class Refs final : public report::ReferenceChecker {
 public:
  explicit Refs(ApiContext& ctx) : ctx_(ctx) {}
  bool app_exists(const std::string& id) override {
    return !ctx_.marketplace || ctx_.marketplace->store().get_app(id).has_value();
  }
  bool model_exists(const std::string& id) override {
    return !ctx_.models || ctx_.models->store().get_model("", id, "").has_value();
  }
  bool profile_exists(const std::string& id) override {
    return ctx_.store.get_profile(meta::Scope::platform(), id).has_value();
  }

 private:
  ApiContext& ctx_;
};

Result<json::object> body_object(const http::Request& req) {
  auto parsed = parse_json(req.body);
  if (!parsed) return fail(Errc::kInvalidArgument, "body: " + parsed.error().message);
  if (!parsed->is_object()) return fail(Errc::kInvalidArgument, "body: expected a JSON object");
  return std::move(parsed->as_object());
}

Result<http::Response> create(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(body_object(req));
  report::Solution s;
  KAIWU_TRY_STATUS(report::solution_from_json(body, s, true));
  Refs refs(ctx);
  KAIWU_TRY_STATUS(report::check_references(s, refs));
  s.created_by = req.principal->user_id;
  auto created = KAIWU_TRY(ctx.solutions->create(s));
  audit(ctx, req, "", "create", "solution", created.id, created.name_zh);
  return json_response(201, report::solution_to_json(created));
}

Result<http::Response> update(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(body_object(req));
  auto s = KAIWU_TRY(ctx.solutions->get(std::string(req.param("id"))));
  KAIWU_TRY_STATUS(report::solution_from_json(body, s, false));
  if (s.industries.empty()) return invalid("industries", "name at least one industry");
  if (s.domains.empty()) return invalid("domains", "name at least one APP domain");
  Refs refs(ctx);
  KAIWU_TRY_STATUS(report::check_references(s, refs));
  auto updated = KAIWU_TRY(ctx.solutions->update(s));
  audit(ctx, req, "", "update", "solution", updated.id);
  return json_response(200, report::solution_to_json(updated));
}

json::value solution_schema() {
  json::value s = schema_object({{"id", "string"}, {"nameZh", "string"}, {"nameEn", "string"},
                                 {"descriptionZh", "string"}, {"descriptionEn", "string"}, {"cases", "integer"},
                                 {"createdBy", "string"}, {"createdMs", "integer"}, {"updatedMs", "integer"}},
                                {"id", "nameZh", "nameEn", "industries", "domains", "appIds", "modelIds", "profileIds",
                                 "technologies", "cases"});
  auto& p = s.as_object()["properties"].as_object();
  for (const char* list : {"industries", "domains", "appIds", "modelIds", "profileIds", "technologies"})
    p[list] = json::object{{"type", "array"}, {"items", json::object{{"type", "string"}}}};
  return s;
}

json::value write_schema(bool creating) {
  auto s = solution_schema();
  auto& o = s.as_object();
  auto& p = o["properties"].as_object();
  for (const char* k : {"createdBy", "createdMs", "updatedMs"}) p.erase(k);
  if (creating) o["required"] = json::array{"nameZh", "nameEn", "industries", "domains"};
  else {
    p.erase("id");
    o.erase("required");
  }
  return s;
}

}  // namespace

void register_solution_routes(http::Router& r, ApiContext& ctx) {
  if (!ctx.solutions) return;
  const auto admins = http::Access::only({Role::kPlatformAdmin});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/solutions",
         .summary = "The solution catalogue (解决方案: industry × domain bundles of APPs, models and profiles)",
         .tag = "report", .access = http::Access::signed_in(),
         .response_schema = json::object{{"type", "object"},
                                         {"properties", json::object{{"items", schema_list(solution_schema())
                                                                                   .as_object()["properties"]
                                                                                   .as_object()["items"]}}},
                                         {"required", json::array{"items"}}},
         .handler = [&ctx](http::Request&) -> Result<http::Response> {
           json::array items;
           for (const auto& s : KAIWU_TRY(ctx.solutions->list())) items.push_back(report::solution_to_json(s));
           return json_response(200, json::object{{"items", std::move(items)}});
         }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/solutions", .summary = "Add a solution", .tag = "report",
         .access = admins, .request_schema = write_schema(true), .response_schema = solution_schema(),
         .success_status = 201, .handler = [&ctx](http::Request& req) { return create(ctx, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/solutions/{id}", .summary = "Get a solution",
         .tag = "report", .access = http::Access::signed_in(), .response_schema = solution_schema(),
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           return json_response(200, report::solution_to_json(KAIWU_TRY(ctx.solutions->get(std::string(req.param("id"))))));
         }});
  r.add({.method = http::Method::kPatch, .pattern = "/api/v1/solutions/{id}", .summary = "Change a solution",
         .tag = "report", .access = admins, .request_schema = write_schema(false), .response_schema = solution_schema(),
         .handler = [&ctx](http::Request& req) { return update(ctx, req); }});
  r.add({.method = http::Method::kDelete, .pattern = "/api/v1/solutions/{id}", .summary = "Delete a solution",
         .tag = "report", .access = admins, .success_status = 204,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           const std::string id(req.param("id"));
           KAIWU_TRY_STATUS(ctx.solutions->remove(id));
           audit(ctx, req, "", "delete", "solution", id);
           return http::Response::no_content();
         }});
}

}  // namespace kaiwu::api
