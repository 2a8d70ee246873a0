// Internal to the report routes: what of the metadata a caller's scope holds.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/api.hpp"
#include "report/supply_links.hpp"

namespace kaiwu::report {

// Enterprises in the scope (of one park when park_id is set), at most 5,000, ordered by id.
Result<std::vector<model::Enterprise>> enterprises_in(api::ApiContext& ctx, const meta::Scope& scope,
                                                      const std::string& park_id = {});
// Id → name of every enterprise in the scope.
Result<std::map<std::string, std::string>> enterprise_names(api::ApiContext& ctx, const meta::Scope& scope);

void register_supply_link_routes(http::Router& r, api::ApiContext& ctx, SupplyLinkStore& links);

}  // namespace kaiwu::report
