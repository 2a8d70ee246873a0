// /api/v1/rulechains: a tenant's rule chains (rules/chain.hpp), versioned, validated, enabled
// into the running engine, and dry-run on a sample message without side effects.
// Tenant admins only (and platform admins naming the tenant): a chain acts on every device of
// the tenant.
#include <spdlog/spdlog.h>

#include <charconv>

#include "api/common.hpp"
#include "core/ids.hpp"
#include "core/json_parse.hpp"
#include "rules/chain.hpp"
#include "rules/dry_run.hpp"
#include "rules/message_json.hpp"
#include "rules/platform_actions.hpp"

namespace kaiwu::api {
namespace {

using model::Role;

constexpr std::size_t kMaxDefinitionBytes = 256 * 1024;

meta::RuleChainStore& chains(ApiContext& ctx) { return *ctx.rule_chains; }

json::object to_json(const model::RuleChain& c) {
  json::value def;
  auto parsed = parse_json(c.definition);
  def = parsed ? std::move(*parsed) : json::value(c.definition);
  return json::object{{"id", c.id},
                      {"tenantId", c.tenant_id},
                      {"name", c.name},
                      {"description", c.description},
                      {"enabled", c.enabled},
                      {"version", c.version},
                      {"definition", std::move(def)},
                      {"updatedBy", c.updated_by},
                      {"createdAt", c.created_ms},
                      {"updatedAt", c.updated_ms}};
}

// The definition field of a body as compact JSON text, validated; kInvalidArgument lists every
// problem ("definition: node \"t\": params.high: must be a number; …").
Result<std::string> definition_of(const Body& body) {
  if (!body.has("definition")) return invalid("definition", "is required");
  const auto& v = body.object().at("definition");
  if (!v.is_object()) return invalid("definition", "must be an object");
  std::string text = json::serialize(v);
  if (text.size() > kMaxDefinitionBytes) return invalid("definition", "is larger than 256 KiB");
  if (auto c = rules::compile_chain(text); !c) return fail(Errc::kInvalidArgument, "definition: " + c.error().message);
  return text;
}

// Keeps the running engine in step with the stored chain.
void sync_engine(ApiContext& ctx, const model::RuleChain& c) {
  if (!ctx.rule_engine) return;
  if (!c.enabled) {
    ctx.rule_engine->remove_chain(c.tenant_id, c.id);
    return;
  }
  auto compiled = rules::compile_chain(c.definition);
  if (!compiled) {
    spdlog::error("rule chain {} v{} no longer compiles: {}", c.id, c.version, compiled.error().message);
    ctx.rule_engine->remove_chain(c.tenant_id, c.id);
    return;
  }
  ctx.rule_engine->set_chain(c.tenant_id, c.id, std::move(*compiled));
}

Result<http::Response> create(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"name", "description", "definition", "enabled", "tenantId"}));
  auto scope = KAIWU_TRY(create_scope(ctx, req, body));
  model::RuleChain c;
  c.tenant_id = scope.tenant_id;
  c.name = KAIWU_TRY(body.required_str("name", 128));
  c.description = KAIWU_TRY(body.str("description", 2048)).value_or("");
  c.definition = KAIWU_TRY(definition_of(body));
  c.enabled = KAIWU_TRY(body.boolean("enabled")).value_or(false);
  c.updated_by = actor_of(req);
  auto created = KAIWU_TRY(chains(ctx).create_rule_chain(scope, c));
  sync_engine(ctx, created);
  audit(ctx, req, created.tenant_id, "create", "rulechain", created.id, created.name);
  return json_response(201, to_json(created));
}

Result<http::Response> update(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"name", "description", "definition"}));
  auto scope = request_scope(req);
  auto c = KAIWU_TRY(chains(ctx).get_rule_chain(scope, std::string(req.param("id"))));
  if (auto name = KAIWU_TRY(body.str("name", 128))) {
    if (name->empty()) return invalid("name", "must not be empty");
    c.name = *name;
  }
  if (auto d = KAIWU_TRY(body.str("description", 2048))) c.description = *d;
  c.definition = KAIWU_TRY(definition_of(body));
  c.updated_by = actor_of(req);
  auto updated = KAIWU_TRY(chains(ctx).update_rule_chain(scope, c));
  sync_engine(ctx, updated);
  audit(ctx, req, updated.tenant_id, "update", "rulechain", updated.id,
        fmt::format("version {}", updated.version));
  return json_response(200, to_json(updated));
}

Result<http::Response> set_enabled(ApiContext& ctx, http::Request& req, bool enabled) {
  auto scope = request_scope(req);
  const std::string id(req.param("id"));
  auto current = KAIWU_TRY(chains(ctx).get_rule_chain(scope, id));
  if (enabled) {
    if (auto c = rules::compile_chain(current.definition); !c)
      return fail(Errc::kFailedPrecondition, "definition: " + c.error().message);
  }
  auto c = KAIWU_TRY(chains(ctx).set_rule_chain_enabled(scope, id, enabled));
  sync_engine(ctx, c);
  audit(ctx, req, c.tenant_id, enabled ? "enable" : "disable", "rulechain", c.id);
  return json_response(200, to_json(c));
}

Result<http::Response> validate(http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"definition"}));
  if (!body.has("definition")) return invalid("definition", "is required");
  const auto& v = body.object().at("definition");
  json::array errors;
  if (!v.is_object()) {
    errors.emplace_back("definition must be an object");
  } else {
    const std::string text = json::serialize(v);
    if (text.size() > kMaxDefinitionBytes) errors.emplace_back("definition is larger than 256 KiB");
    else
      for (auto& e : rules::validate_chain(text)) errors.emplace_back(e);
  }
  const bool valid = errors.empty();
  return json_response(200, json::object{{"valid", valid}, {"errors", std::move(errors)}});
}

// The sample message, with the chain's tenant and, when it names a device of the tenant, that
// device's name and profile filled in where the sample leaves them empty.
Result<rules::Message> sample_message(ApiContext& ctx, const Body& body, const std::string& tenant) {
  if (!body.has("message")) return invalid("message", "is required");
  auto msg = KAIWU_TRY(rules::message_from_json(body.object().at("message")));
  msg.tenant_id = tenant;
  if (msg.ts == 0) msg.ts = now_ms();
  if (!msg.device_id.empty()) {
    auto d = KAIWU_TRY(ctx.store.get_device(meta::Scope::tenant(tenant), msg.device_id));
    if (msg.device_name.empty()) msg.device_name = d.name;
    if (msg.profile_id.empty()) msg.profile_id = d.profile_id;
  }
  return msg;
}

Result<http::Response> dry_run(ApiContext& ctx, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"message", "definition", "version"}));
  auto scope = request_scope(req);
  const auto version = KAIWU_TRY(body.integer("version")).value_or(0);
  auto c = KAIWU_TRY(chains(ctx).get_rule_chain(scope, std::string(req.param("id")), version));
  if (body.has("definition")) c.definition = KAIWU_TRY(definition_of(body));
  auto msg = KAIWU_TRY(sample_message(ctx, body, c.tenant_id));
  auto result = KAIWU_TRY(rules::dry_run(c.definition, msg, rules::store_attribute_reader(ctx.store), c.id));
  auto out = rules::to_json(result);
  out["chainId"] = c.id;
  out["version"] = c.version;
  return json_response(200, out);
}

}  // namespace

void register_rulechain_routes(http::Router& r, ApiContext& ctx) {
  if (!ctx.rule_chains) return;
  const auto admins = http::Access::only({Role::kTenantAdmin});
  const auto chain = schema_object({{"id", "string"}, {"tenantId", "string"}, {"name", "string"},
                                    {"description", "string"}, {"enabled", "boolean"}, {"version", "integer"},
                                    {"definition", "object"}, {"updatedBy", "string"}, {"createdAt", "integer"},
                                    {"updatedAt", "integer"}});
  const auto create_body = schema_object({{"name", "string"}, {"description", "string"}, {"definition", "object"},
                                          {"enabled", "boolean"}, {"tenantId", "string"}},
                                         {"name", "definition"});
  const auto update_body =
      schema_object({{"name", "string"}, {"description", "string"}, {"definition", "object"}}, {"definition"});
  const auto tenant_param = http::ParamDoc{"tenantId", "string", "platform admins: the tenant"};
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/rulechains", .summary = "List rule chains",
         .tag = "rules", .access = admins,
         .query = {{"q", "string", "name contains"}, {"enabled", "boolean"}, tenant_param, {"limit", "integer"},
                   {"cursor"}, {"offset", "integer"}},
         .response_schema = schema_list(chain),
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto page = KAIWU_TRY(page_params(req));
           meta::RuleChainFilter f{std::string(req.query_param("q").value_or("")), KAIWU_TRY(bool_param(req, "enabled"))};
           auto list = KAIWU_TRY(chains(ctx).list_rule_chains(request_scope(req), f, page));
           return list_response(list, [](const auto& c) { return to_json(c); });
         }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/rulechains",
         .summary = "Create a rule chain (version 1; 400 lists every problem of the definition)", .tag = "rules",
         .access = admins, .request_schema = create_body, .response_schema = chain, .success_status = 201,
         .handler = [&ctx](http::Request& req) { return create(ctx, req); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/rulechains/validate",
         .summary = "Validate a chain definition: {valid, errors[]}", .tag = "rules", .access = admins,
         .request_schema = schema_object({{"definition", "object"}}, {"definition"}),
         .response_schema = schema_object({{"valid", "boolean"}, {"errors", "array"}}),
         .handler = [](http::Request& req) { return validate(req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/rulechains/{id}",
         .summary = "Get a rule chain (the current version, or ?version=n)", .tag = "rules", .access = admins,
         .query = {{"version", "integer", "an older version"}, tenant_param}, .response_schema = chain,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           std::int64_t version = 0;
           if (auto v = req.query_param("version")) {
             auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), version);
             if (ec != std::errc() || p != v->data() + v->size() || version < 1)
               return invalid("version", "must be a positive integer");
           }
           auto c = KAIWU_TRY(chains(ctx).get_rule_chain(request_scope(req), std::string(req.param("id")), version));
           return json_response(200, to_json(c));
         }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/rulechains/{id}/versions",
         .summary = "Every version of a rule chain, newest first", .tag = "rules", .access = admins,
         .query = {tenant_param}, .response_schema = schema_list(chain),
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto list = KAIWU_TRY(chains(ctx).list_rule_chain_versions(request_scope(req), std::string(req.param("id"))));
           return list_response(meta::PageOf<model::RuleChain>{std::move(list), {}},
                                [](const auto& c) { return to_json(c); });
         }});
  r.add({.method = http::Method::kPut, .pattern = "/api/v1/rulechains/{id}",
         .summary = "Write a new version of a rule chain", .tag = "rules", .access = admins,
         .query = {tenant_param}, .request_schema = update_body, .response_schema = chain,
         .handler = [&ctx](http::Request& req) { return update(ctx, req); }});
  r.add({.method = http::Method::kDelete, .pattern = "/api/v1/rulechains/{id}",
         .summary = "Delete a rule chain and its versions", .tag = "rules", .access = admins,
         .query = {tenant_param}, .success_status = 204,
         .handler = [&ctx](http::Request& req) -> Result<http::Response> {
           auto scope = request_scope(req);
           auto c = KAIWU_TRY(chains(ctx).get_rule_chain(scope, std::string(req.param("id"))));
           KAIWU_TRY_STATUS(chains(ctx).delete_rule_chain(scope, c.id));
           if (ctx.rule_engine) ctx.rule_engine->remove_chain(c.tenant_id, c.id);
           audit(ctx, req, c.tenant_id, "delete", "rulechain", c.id, c.name);
           return http::Response::no_content();
         }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/rulechains/{id}/enable",
         .summary = "Enable a rule chain (it runs on every message of the tenant)", .tag = "rules",
         .access = admins, .query = {tenant_param}, .response_schema = chain,
         .handler = [&ctx](http::Request& req) { return set_enabled(ctx, req, true); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/rulechains/{id}/disable",
         .summary = "Disable a rule chain", .tag = "rules", .access = admins, .query = {tenant_param},
         .response_schema = chain,
         .handler = [&ctx](http::Request& req) { return set_enabled(ctx, req, false); }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/rulechains/{id}/dryrun",
         .summary = "Run the chain once on a sample message: each node's input, output, relation and error, and "
                    "the actions it would take (none is executed)",
         .tag = "rules", .access = admins, .query = {tenant_param},
         .request_schema = schema_object({{"message", "object"}, {"definition", "object"}, {"version", "integer"}},
                                         {"message"}),
         .response_schema = schema_object({{"chainId", "string"}, {"version", "integer"}, {"steps", "array"},
                                           {"actions", "array"}}),
         .handler = [&ctx](http::Request& req) { return dry_run(ctx, req); }});
}

}  // namespace kaiwu::api
