// Conformance: transactions, the audit log and concurrent use.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <stdexcept>
#include <thread>

#include "store_conformance.hpp"

namespace kaiwu::meta::testing {
namespace {

using V = std::vector<std::string>;

model::Tenant named(const std::string& name) {
  model::Tenant t;
  t.name = name;
  return t;
}

bool tenant_exists(MetadataStore& store, const std::string& name) {
  TenantFilter f;
  f.q = name;
  for (const auto& t : must(store.list_tenants(f, Page{})).items)
    if (t.name == name) return true;
  return false;
}

Result<model::Device> create_in_transaction(MetadataStore& store, const Scope& s,
                                            const model::Device& d) {
  Result<model::Device> out = fail(Errc::kInternal, "transaction did not run");
  auto status = store.transaction([&]() -> Status {
    out = store.create_device(s, d);
    if (!out) return std::unexpected(out.error());
    return ok();
  });
  if (!status) return std::unexpected(status.error());
  return out;
}

TEST_P(StoreConformance, TransactionCommits) {
  std::string park_id;
  must(store().transaction([&]() -> Status {
    const auto t = store().create_tenant(named("committed"));
    if (!t) return std::unexpected(t.error());
    model::Park p;
    p.name = "p";
    const auto park = store().create_park(Scope::tenant(t->id), p);
    if (!park) return std::unexpected(park.error());
    park_id = park->id;
    return ok();
  }));
  EXPECT_TRUE(tenant_exists(store(), "committed"));
  EXPECT_TRUE(store().get_park(Scope::platform(), park_id).has_value());
}

TEST_P(StoreConformance, TransactionErrorRollsBack) {
  const Status s = store().transaction([&]() -> Status {
    must(store().create_tenant(named("doomed")));
    EXPECT_TRUE(tenant_exists(store(), "doomed"));  // visible inside
    return fail(Errc::kInvalidArgument, "changed my mind");
  });
  EXPECT_ERR(s, Errc::kInvalidArgument, "changed my mind");
  EXPECT_FALSE(tenant_exists(store(), "doomed"));
}

TEST_P(StoreConformance, NestedTransactionRollsBackOnlyItself) {
  must(store().transaction([&]() -> Status {
    must(store().create_tenant(named("outer")));
    const Status inner = store().transaction([&]() -> Status {
      must(store().create_tenant(named("inner")));
      return fail(Errc::kFailedPrecondition, "inner fails");
    });
    EXPECT_ERR(inner, Errc::kFailedPrecondition, "inner fails");
    must(store().transaction([&]() -> Status {
      must(store().create_tenant(named("inner-ok")));
      return ok();
    }));
    return ok();
  }));
  EXPECT_TRUE(tenant_exists(store(), "outer"));
  EXPECT_FALSE(tenant_exists(store(), "inner"));
  EXPECT_TRUE(tenant_exists(store(), "inner-ok"));
}

TEST_P(StoreConformance, OuterRollbackUndoesCommittedInner) {
  const Status s = store().transaction([&]() -> Status {
    must(store().transaction([&]() -> Status {
      must(store().create_tenant(named("inner")));
      return ok();
    }));
    return fail(Errc::kUnavailable, "outer fails");
  });
  EXPECT_FALSE(s.has_value());
  EXPECT_FALSE(tenant_exists(store(), "inner"));
}

TEST_P(StoreConformance, FailedCallInsideTransactionDoesNotPoisonIt) {
  must(store().create_tenant(named("taken")));
  must(store().transaction([&]() -> Status {
    EXPECT_ERR(store().create_tenant(named("taken")), Errc::kAlreadyExists, "name");
    must(store().create_tenant(named("fresh")));
    return ok();
  }));
  EXPECT_TRUE(tenant_exists(store(), "fresh"));
}

TEST_P(StoreConformance, ExceptionInTransactionRollsBackAndPropagates) {
  auto throwing = [&]() -> Status {
    must(store().create_tenant(named("thrown")));
    throw std::runtime_error("boom");
  };
  EXPECT_THROW((void)store().transaction(throwing), std::runtime_error);
  EXPECT_FALSE(tenant_exists(store(), "thrown"));
  must(store().create_tenant(named("after")));
  EXPECT_TRUE(tenant_exists(store(), "after"));
}

TEST_P(StoreConformance, AuditAppendAndListNewestFirst) {
  const auto t = add_tenant("t");
  const auto other = add_tenant("other");
  for (int i = 0; i < 30; ++i) {
    model::AuditEntry e;
    e.tenant_id = i % 3 == 2 ? other.id : t.id;
    e.actor = i % 2 == 0 ? "alice" : "apikey:kw_3f9a";
    e.action = i % 5 == 0 ? "delete" : "update";
    e.object_type = i < 10 ? "device" : "enterprise";
    e.object_id = "obj" + std::to_string(i % 4);
    e.time_ms = 1'000'000 + i * 1000;
    e.source = "10.0.0.7";
    e.request_id = "req-" + std::to_string(i);
    e.detail = R"({"i":)" + std::to_string(i) + "}";
    must(store().append_audit(e));
  }

  // Platform: all 30, newest first, seven at a time.
  std::vector<std::int64_t> ids;
  std::vector<std::string> requests;
  Page p;
  p.limit = 7;
  int pages = 0;
  while (true) {
    const auto page = must(store().list_audit(Scope::platform(), {}, p));
    ++pages;
    for (const auto& e : page.items) {
      ids.push_back(e.id);
      requests.push_back(e.request_id);
    }
    if (page.next.empty()) break;
    EXPECT_EQ(page.next, std::to_string(page.items.back().id));
    p.cursor = page.next;
  }
  EXPECT_EQ(pages, 5);
  ASSERT_EQ(ids.size(), 30u);
  for (std::size_t i = 1; i < ids.size(); ++i) EXPECT_GT(ids[i - 1], ids[i]);
  EXPECT_EQ(requests.front(), "req-29");
  EXPECT_EQ(requests.back(), "req-0");

  // Every field comes back.
  AuditFilter by_request;
  by_request.object_id = "obj1";
  by_request.action = "delete";
  by_request.object_type = "device";
  const auto one = must(store().list_audit(Scope::platform(), by_request, Page{}));
  ASSERT_EQ(one.items.size(), 1u);  // i == 5
  EXPECT_EQ(one.items[0].tenant_id, other.id);
  EXPECT_EQ(one.items[0].actor, "apikey:kw_3f9a");
  EXPECT_EQ(one.items[0].object_type, "device");
  EXPECT_EQ(one.items[0].time_ms, 1'005'000);
  EXPECT_EQ(one.items[0].source, "10.0.0.7");
  EXPECT_EQ(one.items[0].request_id, "req-5");
  EXPECT_EQ(one.items[0].detail, R"({"i":5})");

  auto count = [&](const Scope& s, const AuditFilter& f) {
    return must(store().list_audit(s, f, Page{})).items.size();
  };
  const Scope st = Scope::tenant(t.id);
  EXPECT_EQ(count(st, {}), 20u);
  EXPECT_EQ(count(Scope::tenant(other.id), {}), 10u);
  AuditFilter f;
  f.actor = "alice";
  EXPECT_EQ(count(Scope::platform(), f), 15u);
  f = {};
  f.action = "delete";
  EXPECT_EQ(count(Scope::platform(), f), 6u);
  f.object_type = "device";
  EXPECT_EQ(count(Scope::platform(), f), 2u);  // i = 0, 5
  f = {};
  f.from_ms = 1'010'000;
  f.to_ms = 1'012'000;  // both inclusive
  EXPECT_EQ(count(Scope::platform(), f), 3u);
  f.to_ms = 0;  // open
  EXPECT_EQ(count(Scope::platform(), f), 20u);
  f = {};
  f.to_ms = 1'002'000;
  EXPECT_EQ(count(st, f), 2u);  // i = 0, 1 (i = 2 belongs to the other tenant)

  Page offset;
  offset.offset = 28;
  const auto tail = must(store().list_audit(Scope::platform(), {}, offset));
  ASSERT_EQ(tail.items.size(), 2u);
  EXPECT_EQ(tail.items[1].request_id, "req-0");
  EXPECT_TRUE(tail.next.empty());

  Page bad;
  bad.cursor = "not-a-number";
  EXPECT_ERR(store().list_audit(Scope::platform(), {}, bad), Errc::kInvalidArgument, "cursor");
}

TEST_P(StoreConformance, AuditFillsIdAndTime) {
  model::AuditEntry e;
  e.actor = "system";
  e.action = "start";
  e.id = 999'999;  // ignored: the store assigns ids
  must(store().append_audit(e));
  must(store().append_audit(e));
  const auto page = must(store().list_audit(Scope::platform(), {}, Page{}));
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_GT(page.items[0].id, page.items[1].id);
  EXPECT_GT(page.items[0].time_ms, 0);
  EXPECT_EQ(page.items[0].tenant_id, "");
  EXPECT_EQ(page.items[0].actor, "system");
}

TEST_P(StoreConformance, ConcurrentCreatesFromFourThreads) {
  const auto t = add_tenant("t");
  const Scope s = Scope::tenant(t.id);
  const auto e = add_enterprise(t.id, "e");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::atomic<int> errors{0};
  std::vector<V> created(kThreads);
  std::vector<std::thread> threads;
  for (int n = 0; n < kThreads; ++n) {
    threads.emplace_back([&, n] {
      for (int i = 0; i < kPerThread; ++i) {
        model::Device d;
        d.enterprise_id = e.id;
        d.name = "t" + std::to_string(n) + "-" + std::to_string(i);
        // Every tenth create runs inside a transaction, which holds the store meanwhile.
        auto r = i % 10 == 0 ? create_in_transaction(store(), s, d) : store().create_device(s, d);
        if (!r) {
          ++errors;
          continue;
        }
        created[n].push_back(r->id);
        if (!store().get_device(s, r->id)) ++errors;
        if (!store().list_devices(s, {}, Page{})) ++errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);

  std::set<std::string> expected;
  for (const auto& ids : created) expected.insert(ids.begin(), ids.end());
  EXPECT_EQ(expected.size(), static_cast<std::size_t>(kThreads * kPerThread));
  const V listed = ids_of(all_devices(s));
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), expected);
  EXPECT_EQ(listed.size(), expected.size());
}

}  // namespace
}  // namespace kaiwu::meta::testing
