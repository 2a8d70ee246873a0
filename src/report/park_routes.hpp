// REST routes of the park analytics: GET /api/v1/parks/{parkId}/dashboard and
// GET /api/v1/enterprises/{id}/profile (README.md of this folder). Handlers run on the router's
// blocking pool and act only within the caller's Scope.
#pragma once

#include "api/api.hpp"
#include "report/park_metrics.hpp"

namespace kaiwu::report {

// `metrics` must outlive the router.
void register_park_analytics_routes(http::Router& r, api::ApiContext& ctx, ParkMetrics& metrics);

}  // namespace kaiwu::report
