// Costs on the request path that do not involve the network: routing a request through a
// realistic table, signing and verifying a JWT, rendering metrics.
#include <benchmark/benchmark.h>

#include "core/metrics.hpp"
#include "http/auth.hpp"
#include "http/router.hpp"

namespace {

using namespace kaiwu;

http::Router make_router() {
  http::Router r;
  for (const char* coll : {"tenants", "parks", "enterprises", "users", "apikeys", "profiles", "devices"}) {
    std::string base = std::string("/api/v1/") + coll;
    auto ok = [](http::Request&) -> Result<http::Response> { return http::Response::json(200, "{}"); };
    r.add({.method = http::Method::kGet, .pattern = base, .access = http::Access::anyone(), .handler = ok});
    r.add({.method = http::Method::kPost, .pattern = base, .access = http::Access::anyone(), .handler = ok});
    r.add({.method = http::Method::kGet, .pattern = base + "/{id}", .access = http::Access::anyone(), .handler = ok});
    r.add({.method = http::Method::kPatch, .pattern = base + "/{id}", .access = http::Access::anyone(), .handler = ok});
    r.add({.method = http::Method::kDelete, .pattern = base + "/{id}", .access = http::Access::anyone(), .handler = ok});
  }
  return r;
}

void BM_RouterDispatch(benchmark::State& state) {
  auto router = make_router();
  http::Request req;
  req.method = http::Method::kGet;
  req.path = "/api/v1/devices/0001234567890abcdef";
  for (auto _ : state) {
    auto out = router.dispatch(req);
    benchmark::DoNotOptimize(out.response.status);
  }
}
BENCHMARK(BM_RouterDispatch);

void BM_JwtVerify(benchmark::State& state) {
  http::Jwt jwt(std::string(32, 'k'));
  auto token = jwt.sign({"user", "name", 0, 4'000'000'000'000});
  for (auto _ : state) {
    auto c = jwt.verify(token, 1);
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_JwtVerify);

void BM_MetricsRender(benchmark::State& state) {
  MetricsRegistry m;
  for (int i = 0; i < 50; ++i)
    m.histogram("lat", "latency", {{"route", "/r" + std::to_string(i)}}).observe(0.001 * i);
  for (auto _ : state) benchmark::DoNotOptimize(m.render());
}
BENCHMARK(BM_MetricsRender);

}  // namespace

BENCHMARK_MAIN();
