// /api/v1/supply-links: declared supplier → customer relations (see supply_links.hpp).
#include <map>

#include "api/common.hpp"
#include "report/economy_routes.hpp"
#include "report/economy_scope.hpp"

namespace kaiwu::report {
namespace {

using api::Body;
using api::invalid;
namespace json = boost::json;
using model::Role;

json::object to_json(const SupplyLink& l, const std::map<std::string, std::string>& names) {
  auto name = [&](const std::string& id) { return names.contains(id) ? names.at(id) : std::string(); };
  return {{"id", l.id},
          {"tenantId", l.tenant_id},
          {"supplierEnterpriseId", l.supplier_enterprise_id},
          {"supplierName", name(l.supplier_enterprise_id)},
          {"customerEnterpriseId", l.customer_enterprise_id},
          {"customerName", name(l.customer_enterprise_id)},
          {"material", l.material},
          {"createdAt", l.created_ms}};
}

// The end named by `field` must be an enterprise the caller may manage (in their scope).
Result<model::Enterprise> end_of(api::ApiContext& ctx, const meta::Scope& scope, const Body& body,
                                 std::string_view field) {
  auto id = KAIWU_TRY(body.required_str(field, 64));
  auto e = ctx.store.get_enterprise(scope, id);
  if (!e) return invalid(field, "no enterprise " + id + " that you may manage");
  return std::move(*e);
}

// A link is the caller's to change when both ends are in their scope; otherwise it does not exist
// for them (404, as for a link of another tenant).
Result<SupplyLink> manageable(api::ApiContext& ctx, SupplyLinkStore& links, const http::Request& req) {
  auto scope = api::request_scope(req);
  auto link = KAIWU_TRY(links.get(scope.tenant_id, std::string(req.param("id"))));
  if (!ctx.store.get_enterprise(scope, link.supplier_enterprise_id) ||
      !ctx.store.get_enterprise(scope, link.customer_enterprise_id))
    return fail(Errc::kNotFound, "supply link " + link.id + " not found");
  return link;
}

Result<http::Response> create(api::ApiContext& ctx, SupplyLinkStore& links, http::Request& req) {
  auto body = KAIWU_TRY(Body::parse(req.body, {"supplierEnterpriseId", "customerEnterpriseId", "material", "tenantId"}));
  auto scope = KAIWU_TRY(api::create_scope(ctx, req, body));
  auto supplier = KAIWU_TRY(end_of(ctx, scope, body, "supplierEnterpriseId"));
  auto customer = KAIWU_TRY(end_of(ctx, scope, body, "customerEnterpriseId"));
  if (supplier.id == customer.id) return invalid("customerEnterpriseId", "an enterprise cannot supply itself");
  SupplyLink l;
  l.tenant_id = supplier.tenant_id;
  l.supplier_enterprise_id = supplier.id;
  l.customer_enterprise_id = customer.id;
  l.material = KAIWU_TRY(body.str("material", 128)).value_or("");
  auto created = KAIWU_TRY(links.create(l));
  api::audit(ctx, req, created.tenant_id, "create", "supply_link", created.id,
             supplier.name + " → " + customer.name);
  return api::json_response(201, to_json(created, {{supplier.id, supplier.name}, {customer.id, customer.name}}));
}

}  // namespace

void register_supply_link_routes(http::Router& r, api::ApiContext& ctx, SupplyLinkStore& links) {
  const auto writers = http::Access::only({Role::kTenantAdmin, Role::kParkAdmin});
  const auto link = api::schema_object({{"id", "string"}, {"tenantId", "string"}, {"supplierEnterpriseId", "string"},
                                        {"supplierName", "string"}, {"customerEnterpriseId", "string"},
                                        {"customerName", "string"}, {"material", "string"},
                                        {"createdAt", "integer"}});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/supply-links",
         .summary = "List supply links (供应链关系) with at least one end in your scope", .tag = "analysis",
         .access = http::Access::signed_in(),
         .query = {{"enterpriseId", "string", "links with this enterprise at either end"},
                   {"tenantId", "string", "platform admins: one tenant"}},
         .response_schema = api::schema_list(link),
         .handler = [&ctx, &links](http::Request& req) -> Result<http::Response> {
           auto scope = api::request_scope(req);
           auto names = KAIWU_TRY(enterprise_names(ctx, scope));
           const std::string only(req.query_param("enterpriseId").value_or(""));
           json::array items;
           for (const auto& l : KAIWU_TRY(links.list(scope.tenant_id))) {
             if (!names.contains(l.supplier_enterprise_id) && !names.contains(l.customer_enterprise_id)) continue;
             if (!only.empty() && l.supplier_enterprise_id != only && l.customer_enterprise_id != only) continue;
             items.push_back(to_json(l, names));
           }
           return api::json_response(200, json::object{{"items", std::move(items)}, {"next", nullptr}});
         }});
  r.add({.method = http::Method::kPost, .pattern = "/api/v1/supply-links",
         .summary = "Declare that one enterprise supplies another (both yours to manage)", .tag = "analysis",
         .access = writers,
         .request_schema = api::schema_object({{"supplierEnterpriseId", "string"}, {"customerEnterpriseId", "string"},
                                               {"material", "string"}, {"tenantId", "string"}},
                                              {"supplierEnterpriseId", "customerEnterpriseId"}),
         .response_schema = link, .success_status = 201,
         .handler = [&ctx, &links](http::Request& req) { return create(ctx, links, req); }});
  r.add({.method = http::Method::kGet, .pattern = "/api/v1/supply-links/{id}", .summary = "Get a supply link",
         .tag = "analysis", .access = http::Access::signed_in(), .response_schema = link,
         .handler = [&ctx, &links](http::Request& req) -> Result<http::Response> {
           auto scope = api::request_scope(req);
           auto l = KAIWU_TRY(links.get(scope.tenant_id, std::string(req.param("id"))));
           auto names = KAIWU_TRY(enterprise_names(ctx, scope));
           if (!names.contains(l.supplier_enterprise_id) && !names.contains(l.customer_enterprise_id))
             return fail(Errc::kNotFound, "supply link " + l.id + " not found");
           return api::json_response(200, to_json(l, names));
         }});
  r.add({.method = http::Method::kPatch, .pattern = "/api/v1/supply-links/{id}",
         .summary = "Change what a supply link delivers", .tag = "analysis", .access = writers,
         .request_schema = api::schema_object({{"material", "string"}}, {"material"}), .response_schema = link,
         .handler = [&ctx, &links](http::Request& req) -> Result<http::Response> {
           auto body = KAIWU_TRY(Body::parse(req.body, {"material"}));
           auto material = KAIWU_TRY(body.str("material", 128));
           if (!material) return invalid("material", "is required");
           auto l = KAIWU_TRY(manageable(ctx, links, req));
           auto updated = KAIWU_TRY(links.set_material(l.tenant_id, l.id, *material));
           api::audit(ctx, req, l.tenant_id, "update", "supply_link", l.id, *material);
           return api::json_response(200, to_json(updated, KAIWU_TRY(enterprise_names(ctx, api::request_scope(req)))));
         }});
  r.add({.method = http::Method::kDelete, .pattern = "/api/v1/supply-links/{id}", .summary = "Delete a supply link",
         .tag = "analysis", .access = writers, .success_status = 204,
         .handler = [&ctx, &links](http::Request& req) -> Result<http::Response> {
           auto l = KAIWU_TRY(manageable(ctx, links, req));
           KAIWU_TRY_STATUS(links.remove(l.tenant_id, l.id));
           api::audit(ctx, req, l.tenant_id, "delete", "supply_link", l.id);
           return http::Response::no_content();
         }});
}

}  // namespace kaiwu::report
