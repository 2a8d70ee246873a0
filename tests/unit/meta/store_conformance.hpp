// The MetadataStore conformance suite: every implementation (SQLite, PostgreSQL) runs
// the same TEST_P tests. An implementation's test file instantiates them with its factories:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance, ::testing::Values(factory...),
//                            factory_name);
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "meta/store.hpp"

namespace kaiwu::meta::testing {

struct StoreFactory {
  std::string name;
  // A new, empty store.
  std::function<std::unique_ptr<MetadataStore>()> make;
  // Releases what make() left behind (files, schemas); may be empty.
  std::function<void()> cleanup;
  // Why this implementation cannot run here (e.g. no PostgreSQL binaries), empty when it can;
  // a non-empty reason skips the test. May be empty.
  std::function<std::string()> unavailable;
};

std::string factory_name(const ::testing::TestParamInfo<StoreFactory>& info);
// How GoogleTest prints a factory in failure messages.
void PrintTo(const StoreFactory& f, std::ostream* os);

// Thrown by must() so a failed setup step ends the test (GoogleTest reports the exception).
struct SetupFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename T>
T must(Result<T> r) {
  if (!r) {
    throw SetupFailed(std::string(errc_name(r.error().code)) + ": " + r.error().message);
  }
  return std::move(*r);
}

inline void must(const Status& s) {
  if (!s) throw SetupFailed(std::string(errc_name(s.error().code)) + ": " + s.error().message);
}

// Expects that r failed with code and that the message contains fragment. Usable inside
// lambdas that return a value (no ASSERT inside).
#define EXPECT_ERR(r, errc, fragment)                                       \
  do {                                                                      \
    const auto& kaiwu_r_ = (r);                                             \
    EXPECT_FALSE(kaiwu_r_.has_value()) << "expected " << #errc;             \
    if (!kaiwu_r_.has_value()) {                                            \
      EXPECT_EQ(kaiwu_r_.error().code, errc) << kaiwu_r_.error().message;   \
      EXPECT_NE(kaiwu_r_.error().message.find(fragment), std::string::npos) \
          << "message: " << kaiwu_r_.error().message;                       \
    }                                                                       \
  } while (0)

template <typename T>
std::vector<std::string> ids_of(const std::vector<T>& items) {
  std::vector<std::string> ids;
  for (const auto& item : items) ids.push_back(item.id);
  return ids;
}

// Tenant A owns one of everything (its device is a gateway using A's profile); tenant B owns an
// enterprise, a profile and a device of its own.
struct TwoTenantWorld {
  model::Tenant a, b;
  Scope sa, sb;
  model::Park park;
  model::Enterprise ent, b_ent;
  model::DeviceProfile profile, b_profile;
  model::Device device, b_device;
  model::User user;
  model::ApiKey key;
};

// One tenant: parks P1 and P2; enterprises E1 (in P1), E2 (in P2) and E3 (no park), each with a
// device; users of E1 and E2, a park admin of P1 and a tenant admin; API keys of E1, E2 and a
// tenant-wide one; one profile. park_scope is P1's, ent_scope is E1's.
struct NarrowingWorld {
  model::Tenant t;
  model::Park p1, p2;
  model::Enterprise e1, e2, e3;
  model::Device d1, d2, d3;
  model::User u1, u2, park_admin, tenant_admin;
  model::ApiKey k1, k2, k_tenant;
  model::DeviceProfile profile;
  Scope park_scope, ent_scope;
};

class StoreConformance : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  MetadataStore& store() { return *store_; }

  // Creators for the common case; each creates through the owning tenant's scope and throws
  // SetupFailed if the store refuses.
  model::Tenant add_tenant(const std::string& name);
  model::Park add_park(const std::string& tenant_id, const std::string& name,
                       const std::string& level = "national");
  model::Enterprise add_enterprise(const std::string& tenant_id, const std::string& name,
                                   const std::string& park_id = {});
  model::DeviceProfile add_profile(const std::string& tenant_id, const std::string& name);
  model::Device add_device(const std::string& tenant_id, const std::string& enterprise_id,
                           const std::string& name);
  model::User add_user(const std::string& tenant_id, const std::string& username,
                       model::Role role = model::Role::kViewer,
                       const std::string& enterprise_id = {}, const std::string& park_id = {});
  model::ApiKey add_api_key(const std::string& tenant_id, const std::string& name,
                            const std::string& enterprise_id = {});

  TwoTenantWorld make_two_tenants();
  NarrowingWorld make_narrowing();

  // Every item of a list, following cursors.
  std::vector<model::Device> all_devices(const Scope& s, const DeviceFilter& f = {});

  std::unique_ptr<MetadataStore> store_;
};

}  // namespace kaiwu::meta::testing
