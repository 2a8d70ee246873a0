// Conformance: device attributes (client / shared / server key -> JSON text).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/ids.hpp"
#include "store_conformance.hpp"

namespace kaiwu::meta::testing {
namespace {

using model::Attribute;
using model::AttributeScope;
using V = std::vector<std::string>;
using Values = std::vector<std::pair<std::string, std::string>>;

constexpr auto kClient = AttributeScope::kClient;
constexpr auto kShared = AttributeScope::kShared;
constexpr auto kServer = AttributeScope::kServer;

// "scope:key" of each attribute, in the order returned.
V names_of(const std::vector<Attribute>& attrs) {
  V out;
  for (const auto& a : attrs) {
    out.push_back(std::string(model::attribute_scope_name(a.scope)) + ":" + a.key);
  }
  return out;
}

// "scope:key=value" of each attribute, in the order returned.
V entries_of(const std::vector<Attribute>& attrs) {
  V out;
  for (const auto& a : attrs) {
    out.push_back(std::string(model::attribute_scope_name(a.scope)) + ":" + a.key + "=" +
                  a.value_json);
  }
  return out;
}

class Attributes {
 public:
  Attributes(MetadataStore& store, Scope scope, std::string device_id)
      : store_(store), scope_(std::move(scope)), device_id_(std::move(device_id)) {}

  std::vector<Attribute> all(std::optional<AttributeScope> only = std::nullopt,
                             const V& keys = {}) {
    return must(store_.get_attributes(scope_, device_id_, only, keys));
  }
  void set(AttributeScope s, const Values& values) {
    must(store_.set_attributes(scope_, device_id_, s, values));
  }
  void erase(AttributeScope s, const V& keys) {
    must(store_.delete_attributes(scope_, device_id_, s, keys));
  }

 private:
  MetadataStore& store_;
  Scope scope_;
  std::string device_id_;
};

TEST_P(StoreConformance, AttributesUpsertOverwritesAndStampsUpdatedMs) {
  const auto t = add_tenant("t");
  const auto e = add_enterprise(t.id, "e");
  const auto d = add_device(t.id, e.id, "d");
  Attributes attrs(store(), Scope::tenant(t.id), d.id);
  EXPECT_TRUE(attrs.all().empty());

  const std::int64_t before = now_ms();
  attrs.set(kShared, {{"target_temp", "21.5"}, {"mode", R"("auto")"}});
  const std::int64_t after = now_ms();
  const auto first = attrs.all();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(entries_of(first), (V{R"(shared:mode="auto")", "shared:target_temp=21.5"}));
  for (const auto& a : first) {
    EXPECT_GE(a.updated_ms, before) << a.key;
    EXPECT_LE(a.updated_ms, after) << a.key;
  }
  EXPECT_EQ(first[0].updated_ms, first[1].updated_ms) << "one stamp per call";

  // The same key in another attribute scope is another attribute.
  attrs.set(kServer, {{"mode", R"({"schedule":[8,18],"on":true})"}});
  attrs.set(kShared, {{"target_temp", "22"}, {"limits", R"({"min":5,"max":30})"}});
  const auto second = attrs.all();
  ASSERT_EQ(second.size(), 4u);
  EXPECT_EQ(entries_of(second),
            (V{R"(shared:limits={"min":5,"max":30})", R"(shared:mode="auto")",
               "shared:target_temp=22", R"(server:mode={"schedule":[8,18],"on":true})"}));
  EXPECT_EQ(second[1].updated_ms, first[0].updated_ms)
      << "an attribute not written keeps its stamp";
  EXPECT_GE(second[2].updated_ms, first[1].updated_ms);
  EXPECT_LE(second[2].updated_ms, now_ms());

  // Every JSON value kind is accepted; an empty call changes nothing.
  attrs.set(kClient, {{"s", R"("text")"},
                      {"n", "-1.5e3"},
                      {"b", "false"},
                      {"z", "null"},
                      {"a", "[]"},
                      {"o", "{}"}});
  attrs.set(kClient, {});
  EXPECT_EQ(names_of(attrs.all(kClient)),
            (V{"client:a", "client:b", "client:n", "client:o", "client:s", "client:z"}));
}

TEST_P(StoreConformance, AttributesFilterByScopeAndKeysInScopeThenKeyOrder) {
  const auto t = add_tenant("t");
  const auto e = add_enterprise(t.id, "e");
  const auto d = add_device(t.id, e.id, "d");
  Attributes attrs(store(), Scope::tenant(t.id), d.id);
  attrs.set(kServer, {{"m", "1"}, {"a", "2"}});
  attrs.set(kShared, {{"z", "3"}, {"a", "4"}});
  attrs.set(kClient, {{"key2", "5"}, {"b", "6"}, {"key10", "7"}, {"a", "8"}});

  EXPECT_EQ(names_of(attrs.all()), (V{"client:a", "client:b", "client:key10", "client:key2",
                                      "shared:a", "shared:z", "server:a", "server:m"}));
  EXPECT_EQ(names_of(attrs.all(kShared)), (V{"shared:a", "shared:z"}));
  EXPECT_EQ(names_of(attrs.all(kServer)), (V{"server:a", "server:m"}));

  // Keys in any order, repeated or missing: each attribute once, in scope-then-key order.
  EXPECT_EQ(names_of(attrs.all(std::nullopt, {"z", "missing", "a", "z"})),
            (V{"client:a", "shared:a", "shared:z", "server:a"}));
  EXPECT_EQ(entries_of(attrs.all(kClient, {"key2", "b"})), (V{"client:b=6", "client:key2=5"}));
  EXPECT_TRUE(attrs.all(kShared, {"m", "missing"}).empty());
  EXPECT_TRUE(attrs.all(std::nullopt, {"nothing"}).empty());
}

TEST_P(StoreConformance, AttributesDeleteKeysOrAWholeScope) {
  const auto t = add_tenant("t");
  const auto e = add_enterprise(t.id, "e");
  const auto d = add_device(t.id, e.id, "d");
  Attributes attrs(store(), Scope::tenant(t.id), d.id);
  attrs.set(kShared, {{"a", "1"}, {"b", "2"}, {"c", "3"}});
  attrs.set(kServer, {{"a", "4"}});
  attrs.set(kClient, {{"a", "5"}});

  attrs.erase(kShared, {"a", "missing", "c"});
  EXPECT_EQ(names_of(attrs.all()), (V{"client:a", "shared:b", "server:a"}));

  attrs.erase(kShared, {});
  EXPECT_EQ(names_of(attrs.all()), (V{"client:a", "server:a"}));
  attrs.erase(kShared, {});  // nothing left: still fine
  attrs.erase(kServer, {"a"});
  EXPECT_EQ(entries_of(attrs.all()), (V{"client:a=5"}));
}

TEST_P(StoreConformance, AttributesRejectBadKeysAndValuesNamingTheKey) {
  const auto t = add_tenant("t");
  const Scope s = Scope::tenant(t.id);
  const auto e = add_enterprise(t.id, "e");
  const auto d = add_device(t.id, e.id, "d");
  Attributes attrs(store(), s, d.id);
  attrs.set(kShared, {{"kept", "1"}});

  for (const char* bad : {"", "{not json", "'single'", "1 2", "[1,]", "tru", R"({"a":1)"}) {
    EXPECT_ERR(store().set_attributes(s, d.id, kShared, {{"good", "2"}, {"broken_value", bad}}),
               Errc::kInvalidArgument, "broken_value");
  }
  EXPECT_ERR(store().set_attributes(s, d.id, kShared, {{"", "1"}}), Errc::kInvalidArgument,
             "attribute key");
  const std::string longest(256, 'k');
  const std::string too_long = "overlong_" + std::string(248, 'x');
  ASSERT_EQ(too_long.size(), 257u);
  EXPECT_ERR(store().set_attributes(s, d.id, kShared, {{"good", "2"}, {too_long, "1"}}),
             Errc::kInvalidArgument, "overlong_");
  // All or nothing: the good attribute of a refused call was not written.
  EXPECT_EQ(entries_of(attrs.all()), (V{"shared:kept=1"}));

  attrs.set(kShared, {{longest, "1"}, {"单位", R"("°C")"}});
  EXPECT_EQ(names_of(attrs.all(kShared, {longest, "单位"})),
            (V{"shared:" + longest, "shared:单位"}));
}

TEST_P(StoreConformance, AttributesOfAnotherTenantsDeviceDoNotExist) {
  const TwoTenantWorld w = make_two_tenants();
  must(store().set_attributes(w.sa, w.device.id, kShared, {{"fw", R"("1.2.0")"}}));
  must(store().set_attributes(w.sb, w.b_device.id, kShared, {{"fw", R"("9.9.9")"}}));

  EXPECT_ERR(store().get_attributes(w.sb, w.device.id, std::nullopt, {}), Errc::kNotFound,
             w.device.id);
  EXPECT_ERR(store().set_attributes(w.sb, w.device.id, kShared, {{"fw", R"("evil")"}}),
             Errc::kNotFound, w.device.id);
  EXPECT_ERR(store().delete_attributes(w.sb, w.device.id, kShared, {}), Errc::kNotFound,
             w.device.id);
  EXPECT_ERR(store().delete_attributes(w.sb, w.device.id, kShared, {"fw"}), Errc::kNotFound,
             w.device.id);

  EXPECT_EQ(entries_of(must(store().get_attributes(w.sa, w.device.id, std::nullopt, {}))),
            (V{R"(shared:fw="1.2.0")"}));
  EXPECT_EQ(entries_of(must(store().get_attributes(w.sb, w.b_device.id, std::nullopt, {}))),
            (V{R"(shared:fw="9.9.9")"}));
  EXPECT_EQ(
      entries_of(must(store().get_attributes(Scope::platform(), w.device.id, std::nullopt, {}))),
      (V{R"(shared:fw="1.2.0")"}));

  const std::string missing = "00000000000000000000";
  EXPECT_ERR(store().get_attributes(w.sa, missing, std::nullopt, {}), Errc::kNotFound, missing);
  EXPECT_ERR(store().set_attributes(w.sa, missing, kShared, {{"k", "1"}}), Errc::kNotFound,
             missing);
  EXPECT_ERR(store().delete_attributes(w.sa, missing, kShared, {}), Errc::kNotFound, missing);
}

TEST_P(StoreConformance, AttributesFollowParkAndEnterpriseScopes) {
  const NarrowingWorld w = make_narrowing();
  const Scope tenant = Scope::tenant(w.t.id);
  for (const auto* d : {&w.d1, &w.d2, &w.d3}) {
    must(store().set_attributes(tenant, d->id, kServer, {{"owner", R"(")" + d->name + R"(")"}}));
  }
  // d1 is in E1 (park P1): both narrow scopes reach it.
  for (const Scope& s : {w.park_scope, w.ent_scope}) {
    must(store().set_attributes(s, w.d1.id, kShared, {{"k", "1"}}));
    EXPECT_EQ(names_of(must(store().get_attributes(s, w.d1.id, std::nullopt, {}))),
              (V{"shared:k", "server:owner"}));
    must(store().delete_attributes(s, w.d1.id, kShared, {}));
  }
  // d2 (E2 in P2) and d3 (E3, no park) are outside both.
  for (const Scope& s : {w.park_scope, w.ent_scope}) {
    for (const auto* d : {&w.d2, &w.d3}) {
      EXPECT_ERR(store().get_attributes(s, d->id, std::nullopt, {}), Errc::kNotFound, d->id);
      EXPECT_ERR(store().set_attributes(s, d->id, kServer, {{"owner", "0"}}), Errc::kNotFound,
                 d->id);
      EXPECT_ERR(store().delete_attributes(s, d->id, kServer, {}), Errc::kNotFound, d->id);
    }
  }
  EXPECT_EQ(entries_of(must(store().get_attributes(tenant, w.d2.id, std::nullopt, {}))),
            (V{R"(server:owner="d2")"}));
  EXPECT_EQ(entries_of(must(store().get_attributes(tenant, w.d3.id, std::nullopt, {}))),
            (V{R"(server:owner="d3")"}));
}

TEST_P(StoreConformance, DeletingADeviceDeletesItsAttributes) {
  const auto t = add_tenant("t");
  const Scope s = Scope::tenant(t.id);
  const auto e = add_enterprise(t.id, "e");
  const auto doomed = add_device(t.id, e.id, "doomed");
  const auto other = add_device(t.id, e.id, "other");
  for (const auto scope : {kClient, kShared, kServer}) {
    must(store().set_attributes(s, doomed.id, scope, {{"a", "1"}, {"b", "2"}}));
  }
  must(store().set_attributes(s, other.id, kClient, {{"a", "3"}}));

  must(store().delete_device(s, doomed.id));
  EXPECT_ERR(store().get_device(s, doomed.id), Errc::kNotFound, doomed.id);
  EXPECT_ERR(store().get_attributes(s, doomed.id, std::nullopt, {}), Errc::kNotFound, doomed.id);

  // A device created again under the same id starts with no attributes.
  model::Device again;
  again.id = doomed.id;
  again.enterprise_id = e.id;
  again.name = "doomed";
  must(store().create_device(s, again));
  EXPECT_TRUE(must(store().get_attributes(s, doomed.id, std::nullopt, {})).empty());
  EXPECT_EQ(entries_of(must(store().get_attributes(s, other.id, std::nullopt, {}))),
            (V{"client:a=3"}));

  // With its devices gone, the enterprise and then the tenant can go too.
  must(store().delete_device(s, doomed.id));
  must(store().delete_device(s, other.id));
  must(store().delete_enterprise(s, e.id));
  must(store().delete_tenant(t.id));
}

}  // namespace
}  // namespace kaiwu::meta::testing
