// The economic-operation analysis and supply-link routes (经济运行分析):
//   /api/v1/supply-links[/{id}]            CRUD of declared supplier → customer relations
//   GET /api/v1/analysis/industry-map      enterprises by industry and location, key figures
//   GET /api/v1/analysis/indices           operating-rate, electricity and output indices
//   GET /api/v1/analysis/supply-chain      the link graph with operating status and risk
// Every route acts within the caller's scope (api::request_scope): a park admin sees their park,
// an enterprise user their enterprise. cli/ registers them when the metadata store is SQL.
#pragma once

#include "api/api.hpp"
#include "report/economy.hpp"
#include "report/supply_links.hpp"

namespace kaiwu::report {

// links must outlive the router; days may be empty (the analysis routes then answer 503).
void register_economy_routes(http::Router& r, api::ApiContext& ctx, SupplyLinkStore& links, DaysSource days);

}  // namespace kaiwu::report
