// Shared by the apps tests: Ed25519 test keys generated per run (never a committed key), the
// example package, and a small in-memory TelemetryStore.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <vector>
#include <stdexcept>
#include <string>

#include "apps/package.hpp"
#include "metering/meter.hpp"
#include "tsdb/store.hpp"

namespace kaiwu::apps::test {

template <typename T>
T must(Result<T> r) {
  if (!r) throw std::runtime_error(r.error().message);
  return std::move(*r);
}

// Keeps every metering record.
class RecordingMeter final : public metering::Meter {
 public:
  void record(metering::Record r) override {
    std::lock_guard lock(mu);
    records.push_back(std::move(r));
  }
  std::mutex mu;
  std::vector<metering::Record> records;
};

struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

inline KeyPair generate_key() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (!key) throw std::runtime_error("keygen failed");
  auto pem = [&](bool priv) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (priv) PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    else PEM_write_bio_PUBKEY(bio, key);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return out;
  };
  KeyPair kp{pem(true), pem(false)};
  EVP_PKEY_free(key);
  return kp;
}

inline const char* kManifest = R"({
  "id": "hello-energy",
  "version": "1.0.0",
  "name": {"zh": "能耗小助手", "en": "Hello Energy"},
  "description": "test",
  "domain": "energy_carbon",
  "publisher": "kaiwu-examples",
  "origin": "self_built",
  "form": "built_on_platform",
  "permissions": ["devices:read", "telemetry:read"],
  "functions": [{"name": "summary"}, {"name": "peek"}, {"name": "write"}, {"name": "tick"}],
  "triggers": [{"type": "http", "function": "summary"}, {"type": "schedule", "function": "tick", "intervalMs": 1000}],
  "plans": [{"id": "free", "type": "free"}, {"id": "metered", "type": "per_call", "price": 0.01}]
})";

inline const char* kCode = R"(
function summary(input, ctx)
  local total, n = 0, 0
  for _, d in ipairs(kaiwu.devices.list()) do
    local v = kaiwu.telemetry.latest(d.id, {"power"}).power
    if v then total = total + v.value; n = n + 1 end
  end
  kaiwu.log("devices", n)
  return {total = total, n = n, enterprise = ctx.enterpriseId}
end
function peek(input, ctx) return kaiwu.telemetry.latest(input.deviceId) end
function write(input, ctx) return kaiwu.telemetry.write(input.deviceId, {x = 1}) end
function tick(input, ctx) return true end
)";

inline Package example_package(const std::string& private_pem = "") {
  Package p;
  p.files["manifest.json"] = kManifest;
  p.files["main.lua"] = kCode;
  if (!private_pem.empty()) p.signature = must(sign_digest(private_pem, canonical_digest(p)));
  return p;
}

// Latest values and writes in memory; enough for the host API.
class MemoryTelemetry final : public tsdb::TelemetryStore {
 public:
  Status write(std::span<const tsdb::Point> points) override {
    for (const auto& p : points) latest_[p.tenant + "/" + p.device][p.key] = tsdb::Sample{p.ts, p.value};
    return ok();
  }
  Result<std::vector<tsdb::LatestValue>> latest(const std::string& tenant, const std::string& device,
                                                std::span<const std::string> keys) override {
    std::vector<tsdb::LatestValue> out;
    for (const auto& [k, s] : latest_[tenant + "/" + device]) {
      if (keys.empty() || std::find(keys.begin(), keys.end(), k) != keys.end()) out.push_back({k, s});
    }
    return out;
  }
  Result<std::vector<tsdb::KeySeries>> range(const tsdb::RangeQuery&) override { return std::vector<tsdb::KeySeries>{}; }
  Result<std::vector<tsdb::KeyBuckets>> aggregate(const tsdb::AggQuery&) override { return std::vector<tsdb::KeyBuckets>{}; }
  Result<std::vector<std::string>> keys(const std::string&, const std::string&) override { return std::vector<std::string>{}; }
  Status delete_range(const std::string&, const std::string&, std::span<const std::string>, std::int64_t, std::int64_t) override { return ok(); }
  Status delete_device(const std::string&, const std::string&) override { return ok(); }
  Status set_retention(const std::string&, std::int64_t) override { return ok(); }
  Status compact() override { return ok(); }
  Status flush() override { return ok(); }
  Result<tsdb::StoreStats> stats() override { return tsdb::StoreStats{}; }

 private:
  std::map<std::string, std::map<std::string, tsdb::Sample>> latest_;
};

}  // namespace kaiwu::apps::test
