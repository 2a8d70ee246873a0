// Conformance: device profiles, devices and pagination.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "store_conformance.hpp"

namespace kaiwu::meta::testing {
namespace {

using model::Category;
using model::Device;
using model::DeviceProfile;
using V = std::vector<std::string>;

TEST_P(StoreConformance, ProfileCrud) {
  const auto t = add_tenant("t");
  const Scope s = Scope::tenant(t.id);
  DeviceProfile in;
  in.name = "CNC lathe";
  in.description = "three-axis";
  in.thing_model = R"({"properties":[{"identifier":"spindle_speed","type":"float"}]})";
  const DeviceProfile p = must(store().create_profile(s, in));
  EXPECT_EQ(p.tenant_id, t.id);
  EXPECT_GT(p.created_ms, 0);
  EXPECT_EQ(p.updated_ms, p.created_ms);

  const DeviceProfile got = must(store().get_profile(s, p.id));
  EXPECT_EQ(got.name, "CNC lathe");
  EXPECT_EQ(got.description, "three-axis");
  EXPECT_EQ(got.thing_model, in.thing_model);

  DeviceProfile change = got;
  change.name = "CNC lathe v2";
  change.thing_model = R"({"properties":[]})";
  const DeviceProfile updated = must(store().update_profile(s, change));
  EXPECT_EQ(updated.name, "CNC lathe v2");
  EXPECT_EQ(updated.thing_model, R"({"properties":[]})");
  EXPECT_EQ(updated.created_ms, p.created_ms);
  EXPECT_GE(updated.updated_ms, p.updated_ms);

  add_profile(t.id, "Air compressor");
  add_profile(t.id, "lathe (old)");
  ProfileFilter f;
  f.q = "LATHE";
  const auto page = must(store().list_profiles(s, f, Page{}));
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].id, p.id);
  EXPECT_EQ(page.items[1].name, "lathe (old)");

  must(store().delete_profile(s, p.id));
  EXPECT_ERR(store().get_profile(s, p.id), Errc::kNotFound, p.id);
  EXPECT_ERR(store().update_profile(s, change), Errc::kNotFound, p.id);
}

TEST_P(StoreConformance, DeviceCrud) {
  const auto t = add_tenant("t");
  const Scope s = Scope::tenant(t.id);
  const auto e = add_enterprise(t.id, "e");
  const auto e2 = add_enterprise(t.id, "e2");
  const auto profile = add_profile(t.id, "meter");
  Device in;
  in.enterprise_id = e.id;
  in.profile_id = profile.id;
  in.name = "电表-01";
  in.category = Category::kRunning;
  in.protocol = "dlt645";
  in.label = "building A";
  in.access_token = "tok-0001";
  const Device d = must(store().create_device(s, in));
  EXPECT_EQ(d.tenant_id, t.id);
  EXPECT_EQ(d.access_token, "tok-0001");

  const Device got = must(store().get_device(s, d.id));
  EXPECT_EQ(got.enterprise_id, e.id);
  EXPECT_EQ(got.profile_id, profile.id);
  EXPECT_EQ(got.name, "电表-01");
  EXPECT_EQ(got.category, Category::kRunning);
  EXPECT_EQ(got.protocol, "dlt645");
  EXPECT_FALSE(got.is_gateway);
  EXPECT_EQ(got.gateway_id, "");
  EXPECT_EQ(got.label, "building A");
  EXPECT_EQ(got.created_ms, d.created_ms);
  EXPECT_EQ(got.last_seen_ms, 0);

  Device change = got;
  change.enterprise_id = e2.id;
  change.profile_id.clear();
  change.name = "meter-01";
  change.category = Category::kMobile;
  change.protocol = "mqtt";
  change.label = "";
  change.access_token = "tok-0002";
  const Device updated = must(store().update_device(s, change));
  EXPECT_EQ(updated.enterprise_id, e2.id);
  EXPECT_EQ(updated.profile_id, "");
  EXPECT_EQ(updated.name, "meter-01");
  EXPECT_EQ(updated.category, Category::kMobile);
  EXPECT_EQ(updated.protocol, "mqtt");
  EXPECT_EQ(updated.access_token, "tok-0002");
  EXPECT_EQ(updated.created_ms, d.created_ms);

  must(store().touch_device(d.id, 1'700'000'000'555));
  const Device touched = must(store().get_device(s, d.id));
  EXPECT_EQ(touched.last_seen_ms, 1'700'000'000'555);
  EXPECT_EQ(touched.name, "meter-01");
  EXPECT_EQ(touched.access_token, "tok-0002");
  EXPECT_ERR(store().touch_device("00000000000000000000", 1), Errc::kNotFound, "device");

  must(store().delete_device(s, d.id));
  EXPECT_ERR(store().get_device(s, d.id), Errc::kNotFound, d.id);
  EXPECT_ERR(store().update_device(s, change), Errc::kNotFound, d.id);
  EXPECT_ERR(store().delete_device(s, d.id), Errc::kNotFound, d.id);
}

TEST_P(StoreConformance, DeviceGetsATokenAndIsFoundByIt) {
  const auto t = add_tenant("t");
  const auto e = add_enterprise(t.id, "e");
  const Device a = add_device(t.id, e.id, "a");
  const Device b = add_device(t.id, e.id, "b");
  EXPECT_GE(a.access_token.size(), 16u);
  EXPECT_NE(a.access_token, b.access_token);
  const Device found = must(store().find_device_by_token(b.access_token));
  EXPECT_EQ(found.id, b.id);
  EXPECT_EQ(found.tenant_id, t.id);
  EXPECT_EQ(found.name, "b");
  EXPECT_ERR(store().find_device_by_token("no-such-token"), Errc::kNotFound, "device");
  EXPECT_ERR(store().find_device_by_token(""), Errc::kNotFound, "device");
}

TEST_P(StoreConformance, DeviceUniqueNamePerEnterpriseAndTokenPerPlatform) {
  const auto t = add_tenant("t");
  const auto u = add_tenant("u");
  const auto e1 = add_enterprise(t.id, "e1");
  const auto e2 = add_enterprise(t.id, "e2");
  const auto other = add_enterprise(u.id, "other");
  const Device first = add_device(t.id, e1.id, "pump");
  EXPECT_NO_THROW(add_device(t.id, e2.id, "pump"));

  Device dup;
  dup.enterprise_id = e1.id;
  dup.name = "pump";
  EXPECT_ERR(store().create_device(Scope::tenant(t.id), dup), Errc::kAlreadyExists, "name");

  Device same_token;
  same_token.enterprise_id = other.id;
  same_token.name = "x";
  same_token.access_token = first.access_token;
  EXPECT_ERR(store().create_device(Scope::tenant(u.id), same_token), Errc::kAlreadyExists,
             "access_token");

  Device second = add_device(t.id, e1.id, "fan");
  second.name = "pump";
  EXPECT_ERR(store().update_device(Scope::tenant(t.id), second), Errc::kAlreadyExists, "name");
}

TEST_P(StoreConformance, DeviceRequiresFields) {
  const auto t = add_tenant("t");
  const auto e = add_enterprise(t.id, "e");
  Device d;
  d.enterprise_id = e.id;
  EXPECT_ERR(store().create_device(Scope::tenant(t.id), d), Errc::kInvalidArgument, "name");
  d.name = "n";
  d.enterprise_id.clear();
  EXPECT_ERR(store().create_device(Scope::tenant(t.id), d), Errc::kInvalidArgument,
             "enterprise_id");
}

TEST_P(StoreConformance, GatewaysAndTheirDevices) {
  const auto t = add_tenant("t");
  const Scope s = Scope::tenant(t.id);
  const auto e = add_enterprise(t.id, "e");
  Device gw;
  gw.enterprise_id = e.id;
  gw.name = "edge-gw";
  gw.is_gateway = true;
  gw.protocol = "mqtt";
  gw = must(store().create_device(s, gw));
  EXPECT_TRUE(must(store().get_device(s, gw.id)).is_gateway);

  Device child;
  child.enterprise_id = e.id;
  child.name = "cnc-01";
  child.protocol = "modbus-tcp";
  child.gateway_id = gw.id;
  child = must(store().create_device(s, child));
  EXPECT_EQ(must(store().get_device(s, child.id)).gateway_id, gw.id);

  const Device plain = add_device(t.id, e.id, "plain");
  Device bad;
  bad.enterprise_id = e.id;
  bad.name = "behind-plain";
  bad.gateway_id = plain.id;
  EXPECT_ERR(store().create_device(s, bad), Errc::kFailedPrecondition, "not a gateway");
  bad.gateway_id = "00000000000000000000";
  EXPECT_ERR(store().create_device(s, bad), Errc::kNotFound, "gateway");

  EXPECT_ERR(store().delete_device(s, gw.id), Errc::kFailedPrecondition,
             "gateway still has 1 device");
  Device demote = gw;
  demote.is_gateway = false;
  EXPECT_ERR(store().update_device(s, demote), Errc::kFailedPrecondition, "1 device");
  Device self = gw;
  self.gateway_id = gw.id;
  EXPECT_ERR(store().update_device(s, self), Errc::kInvalidArgument, "own gateway");

  must(store().delete_device(s, child.id));
  must(store().delete_device(s, gw.id));
}

TEST_P(StoreConformance, ProfileInUseCannotBeDeleted) {
  const auto t = add_tenant("t");
  const Scope s = Scope::tenant(t.id);
  const auto e = add_enterprise(t.id, "e");
  const auto profile = add_profile(t.id, "p");
  for (const char* name : {"a", "b"}) {
    Device d;
    d.enterprise_id = e.id;
    d.profile_id = profile.id;
    d.name = name;
    must(store().create_device(s, d));
  }
  EXPECT_ERR(store().delete_profile(s, profile.id), Errc::kFailedPrecondition,
             "profile still has 2 devices");
  Device d;
  d.enterprise_id = e.id;
  d.name = "c";
  d.profile_id = "00000000000000000000";
  EXPECT_ERR(store().create_device(s, d), Errc::kNotFound, "profile 00000000000000000000");
}

TEST_P(StoreConformance, DeviceFilters) {
  const auto t = add_tenant("t");
  const Scope s = Scope::tenant(t.id);
  const auto e1 = add_enterprise(t.id, "e1");
  const auto e2 = add_enterprise(t.id, "e2");
  const auto p1 = add_profile(t.id, "p1");
  Device gw_in;
  gw_in.enterprise_id = e1.id;
  gw_in.name = "Gateway-1";
  gw_in.is_gateway = true;
  gw_in.protocol = "mqtt";
  gw_in.category = Category::kOther;
  const auto gw = must(store().create_device(s, gw_in)).id;
  auto make = [&](const std::string& enterprise, const std::string& name, Category c,
                  const std::string& protocol, const std::string& profile,
                  const std::string& gateway) {
    Device d;
    d.enterprise_id = enterprise;
    d.name = name;
    d.category = c;
    d.protocol = protocol;
    d.profile_id = profile;
    d.gateway_id = gateway;
    return must(store().create_device(s, d)).id;
  };
  const auto a = make(e1.id, "CNC-01", Category::kProcessing, "modbus-tcp", p1.id, gw);
  const auto b = make(e1.id, "cnc-02", Category::kProcessing, "opcua", p1.id, "");
  const auto c = make(e2.id, "AGV 7", Category::kMobile, "mqtt", "", "");
  const auto d = make(e2.id, "boiler", Category::kRunning, "modbus-tcp", "", gw);

  auto list = [&](const DeviceFilter& f) { return ids_of(all_devices(s, f)); };
  DeviceFilter f;
  EXPECT_EQ(list(f), (V{gw, a, b, c, d}));
  f.q = "cnc";
  EXPECT_EQ(list(f), (V{a, b}));
  f = {};
  f.enterprise_id = e2.id;
  EXPECT_EQ(list(f), (V{c, d}));
  f = {};
  f.profile_id = p1.id;
  EXPECT_EQ(list(f), (V{a, b}));
  f = {};
  f.protocol = "modbus-tcp";
  EXPECT_EQ(list(f), (V{a, d}));
  f = {};
  f.gateway_id = gw;
  EXPECT_EQ(list(f), (V{a, d}));
  f = {};
  f.category = Category::kProcessing;
  EXPECT_EQ(list(f), (V{a, b}));
  f.category = Category::kMobile;
  EXPECT_EQ(list(f), (V{c}));
  f = {};
  f.protocol = "modbus-tcp";
  f.enterprise_id = e1.id;
  EXPECT_EQ(list(f), (V{a}));
  f.q = "%";
  EXPECT_EQ(list(f), V{});
}

TEST_P(StoreConformance, PaginationByCursorAndOffsetOver250Devices) {
  const auto t = add_tenant("t");
  const Scope s = Scope::tenant(t.id);
  const auto e = add_enterprise(t.id, "e");
  V created;
  for (int i = 0; i < 250; ++i)
    created.push_back(add_device(t.id, e.id, "d" + std::to_string(i)).id);
  V sorted = created;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(created, sorted) << "ids sort by creation time";

  // By cursor: 100 + 100 + 50.
  V seen;
  std::vector<std::size_t> sizes;
  Page p;
  p.limit = 100;
  while (true) {
    const auto page = must(store().list_devices(s, {}, p));
    sizes.push_back(page.items.size());
    for (const auto& d : page.items) seen.push_back(d.id);
    if (page.next.empty()) break;
    EXPECT_EQ(page.next, page.items.back().id);
    p.cursor = page.next;
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{100, 100, 50}));
  EXPECT_EQ(seen, sorted);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 250u);

  // By offset.
  V by_offset;
  for (std::size_t offset = 0; offset < 300; offset += 100) {
    Page o;
    o.limit = 100;
    o.offset = offset;
    const auto page = must(store().list_devices(s, {}, o));
    EXPECT_EQ(page.next.empty(), offset == 200) << offset;
    for (const auto& d : page.items) by_offset.push_back(d.id);
  }
  EXPECT_EQ(by_offset, sorted);

  // next is empty when the page ends exactly at the last row.
  Page half;
  half.limit = 125;
  const auto first = must(store().list_devices(s, {}, half));
  ASSERT_EQ(first.items.size(), 125u);
  ASSERT_FALSE(first.next.empty());
  half.cursor = first.next;
  const auto second = must(store().list_devices(s, {}, half));
  EXPECT_EQ(second.items.size(), 125u);
  EXPECT_TRUE(second.next.empty());
  EXPECT_EQ(second.items.back().id, sorted.back());

  // Limits clamp to 1..1000.
  Page zero;
  zero.limit = 0;
  const auto one = must(store().list_devices(s, {}, zero));
  ASSERT_EQ(one.items.size(), 1u);
  EXPECT_EQ(one.items[0].id, sorted[0]);
  EXPECT_EQ(one.next, sorted[0]);
  Page huge;
  huge.limit = 100000;
  const auto everything = must(store().list_devices(s, {}, huge));
  EXPECT_EQ(everything.items.size(), 250u);
  EXPECT_TRUE(everything.next.empty());

  // A cursor past the end gives an empty page.
  Page past;
  past.cursor = sorted.back();
  const auto none = must(store().list_devices(s, {}, past));
  EXPECT_TRUE(none.items.empty());
  EXPECT_TRUE(none.next.empty());
}

TEST_P(StoreConformance, PaginationWorksForEveryList) {
  const auto t = add_tenant("t");
  const Scope s = Scope::tenant(t.id);
  for (int i = 0; i < 5; ++i) {
    add_tenant("extra" + std::to_string(i));
    add_park(t.id, "p" + std::to_string(i));
    add_enterprise(t.id, "e" + std::to_string(i));
    add_user(t.id, "u" + std::to_string(i));
    add_api_key(t.id, "k" + std::to_string(i));
    add_profile(t.id, "f" + std::to_string(i));
  }
  Page p;
  p.limit = 2;
  p.offset = 4;
  EXPECT_EQ(must(store().list_tenants({}, p)).items.size(), 2u);  // 6 tenants
  EXPECT_EQ(must(store().list_parks(s, {}, p)).items.size(), 1u);
  EXPECT_EQ(must(store().list_enterprises(s, {}, p)).items.size(), 1u);
  EXPECT_EQ(must(store().list_users(s, {}, p)).items.size(), 1u);
  EXPECT_EQ(must(store().list_api_keys(s, {}, p)).items.size(), 1u);
  EXPECT_EQ(must(store().list_profiles(s, {}, p)).items.size(), 1u);
  p.offset = 0;
  const auto first = must(store().list_parks(s, {}, p));
  ASSERT_EQ(first.items.size(), 2u);
  p.cursor = first.next;
  const auto second = must(store().list_parks(s, {}, p));
  ASSERT_EQ(second.items.size(), 2u);
  EXPECT_GT(second.items[0].id, first.items[1].id);
  EXPECT_EQ(second.items[0].name, "p2");
}

}  // namespace
}  // namespace kaiwu::meta::testing

namespace kaiwu::meta::testing {
namespace {

TEST_P(StoreConformance, ProfileProvisioning) {
  const auto t = add_tenant("t");
  const auto other = add_tenant("other");
  const Scope s = Scope::tenant(t.id);
  const auto e = add_enterprise(t.id, "e");
  const auto foreign = add_enterprise(other.id, "f");

  model::DeviceProfile in;
  in.name = "provisioned meters";
  in.thing_model = "{}";
  in.provision_mode = model::ProvisionMode::kAllowCreate;
  in.provision_key = "key-1";
  in.provision_secret = "secret-1";
  in.provision_enterprise_id = e.id;
  const auto p = must(store().create_profile(s, in));
  EXPECT_EQ(p.provision_mode, model::ProvisionMode::kAllowCreate);
  EXPECT_EQ(p.provision_enterprise_id, e.id);

  const auto found = must(store().find_profile_by_provision_key("key-1"));
  EXPECT_EQ(found.id, p.id);
  EXPECT_EQ(found.tenant_id, t.id);
  EXPECT_EQ(found.provision_secret, "secret-1");
  EXPECT_ERR(store().find_profile_by_provision_key("nope"), Errc::kNotFound, "provision key");
  EXPECT_ERR(store().find_profile_by_provision_key(""), Errc::kNotFound, "provision key");

  // Keys are unique platform-wide; the enterprise must be in the profile's tenant.
  model::DeviceProfile dup = in;
  dup.name = "other";
  EXPECT_ERR(store().create_profile(s, dup), Errc::kAlreadyExists, "provision key");
  model::DeviceProfile cross = in;
  cross.name = "cross";
  cross.provision_key = "key-2";
  cross.provision_enterprise_id = foreign.id;
  EXPECT_ERR(store().create_profile(s, cross), Errc::kNotFound, foreign.id);
  model::DeviceProfile incomplete = in;
  incomplete.name = "incomplete";
  incomplete.provision_key = "key-3";
  incomplete.provision_secret.clear();
  EXPECT_ERR(store().create_profile(s, incomplete), Errc::kInvalidArgument, "provision_secret");

  // The enterprise cannot go while a profile provisions into it.
  EXPECT_ERR(store().delete_enterprise(s, e.id), Errc::kFailedPrecondition, "profile");

  // Disabling clears the key and frees it.
  model::DeviceProfile off = found;
  off.provision_mode = model::ProvisionMode::kDisabled;
  const auto disabled = must(store().update_profile(s, off));
  EXPECT_EQ(disabled.provision_key, "");
  EXPECT_EQ(disabled.provision_secret, "");
  EXPECT_EQ(disabled.provision_enterprise_id, "");
  EXPECT_ERR(store().find_profile_by_provision_key("key-1"), Errc::kNotFound, "provision key");
  dup.provision_mode = model::ProvisionMode::kCheckPreProvisioned;
  const auto reused = must(store().create_profile(s, dup));
  EXPECT_EQ(must(store().find_profile_by_provision_key("key-1")).id, reused.id);
  must(store().delete_enterprise(s, add_enterprise(t.id, "unused").id));
}

}  // namespace
}  // namespace kaiwu::meta::testing

namespace kaiwu::meta::testing {
namespace {

TEST_P(StoreConformance, DeviceCertificateFingerprint) {
  const auto t = add_tenant("t");
  const Scope s = Scope::tenant(t.id);
  const auto e = add_enterprise(t.id, "e");
  const std::string fp(64, 'a');
  model::Device in;
  in.enterprise_id = e.id;
  in.name = "x509";
  in.cert_fingerprint = fp;
  const auto d = must(store().create_device(s, in));
  EXPECT_EQ(d.cert_fingerprint, fp);
  EXPECT_EQ(must(store().find_device_by_cert_fingerprint(fp)).id, d.id);
  EXPECT_ERR(store().find_device_by_cert_fingerprint(std::string(64, 'b')), Errc::kNotFound, "certificate");
  EXPECT_ERR(store().find_device_by_cert_fingerprint(""), Errc::kNotFound, "certificate");

  model::Device twin = in;
  twin.name = "twin";
  EXPECT_ERR(store().create_device(s, twin), Errc::kAlreadyExists, "certificate");
  twin.cert_fingerprint.clear();
  const auto plain = must(store().create_device(s, twin));  // many devices without a certificate
  EXPECT_EQ(plain.cert_fingerprint, "");

  model::Device change = d;
  change.cert_fingerprint.clear();
  must(store().update_device(s, change));
  EXPECT_ERR(store().find_device_by_cert_fingerprint(fp), Errc::kNotFound, "certificate");
}

}  // namespace
}  // namespace kaiwu::meta::testing
