#include "device/provisioning.hpp"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "core/crypto.hpp"
#include "core/ids.hpp"
#include "core/json_parse.hpp"

namespace kaiwu::device {

namespace {

namespace json = boost::json;

constexpr std::string_view kProvisionState = "provisionState";  // server attribute, as ThingsBoard

std::string answer(std::string_view status, std::string_view error) {
  return json::serialize(json::object{{"status", status}, {"errorMsg", error}});
}

std::string success(const std::string& token) {
  return json::serialize(
      json::object{{"status", "SUCCESS"}, {"credentialsType", "ACCESS_TOKEN"}, {"credentialsValue", token}});
}

std::string field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? std::string(it->value().as_string()) : std::string{};
}

// The device of this profile named `name` anywhere in the tenant, if any.
Result<std::optional<model::Device>> find_device(meta::MetadataStore& store, const model::DeviceProfile& p,
                                                 const std::string& name) {
  meta::DeviceFilter f;
  f.q = name;
  f.profile_id = p.id;
  auto page = KAIWU_TRY(store.list_devices(meta::Scope::tenant(p.tenant_id), f, meta::Page{1000, {}, 0}));
  for (auto& d : page.items)
    if (d.name == name) return std::optional<model::Device>(std::move(d));
  return std::optional<model::Device>{};
}

Result<bool> already_provisioned(meta::MetadataStore& store, const model::Device& d) {
  auto attrs = KAIWU_TRY(store.get_attributes(meta::Scope::tenant(d.tenant_id), d.id, model::AttributeScope::kServer,
                                              {std::string(kProvisionState)}));
  return !attrs.empty();
}

Status mark_provisioned(meta::MetadataStore& store, const model::Device& d) {
  return store.set_attributes(meta::Scope::tenant(d.tenant_id), d.id, model::AttributeScope::kServer,
                              {{std::string(kProvisionState), "\"provisioned\""}});
}

std::string hand_out(meta::MetadataStore& store, const model::Device& d) {
  auto done = already_provisioned(store, d);
  if (!done) return answer("FAILURE", done.error().message);
  if (*done) return answer("FAILURE", "device '" + d.name + "' is already provisioned");
  if (auto st = mark_provisioned(store, d); !st) return answer("FAILURE", st.error().message);
  spdlog::info("provisioning: handed out the token of device {} ({})", d.name, d.id);
  return success(d.access_token);
}

}  // namespace

Result<std::string> provision_device(meta::MetadataStore& store, std::string_view request_json,
                                     std::string_view protocol) {
  auto parsed = KAIWU_TRY(parse_json(request_json));
  if (!parsed.is_object()) return fail(Errc::kInvalidArgument, "provision request must be a JSON object");
  const auto& req = parsed.as_object();
  const std::string key = field(req, "provisionDeviceKey");
  const std::string secret = field(req, "provisionDeviceSecret");
  std::string name = field(req, "deviceName");
  if (key.empty() || secret.empty()) return answer("NOT_FOUND", "provisionDeviceKey and provisionDeviceSecret are required");

  auto profile = store.find_profile_by_provision_key(key);
  if (!profile || profile->provision_mode == model::ProvisionMode::kDisabled ||
      !crypto::constant_time_equal(profile->provision_secret, secret)) {
    if (!profile && profile.error().code != Errc::kNotFound) return answer("FAILURE", profile.error().message);
    return answer("NOT_FOUND", "provision key and secret do not match any profile");
  }
  std::string credentials = field(req, "credentialsType");
  if (!credentials.empty() && credentials != "ACCESS_TOKEN")
    return answer("FAILURE", "credentialsType '" + credentials + "' is not supported (ACCESS_TOKEN)");
  if (name.size() > 128) return answer("FAILURE", "deviceName is longer than 128 characters");

  if (profile->provision_mode == model::ProvisionMode::kCheckPreProvisioned) {
    if (name.empty()) return answer("FAILURE", "deviceName is required for pre-provisioned devices");
    auto existing = find_device(store, *profile, name);
    if (!existing) return answer("FAILURE", existing.error().message);
    if (!*existing) return answer("NOT_FOUND", "no pre-provisioned device '" + name + "' with this profile");
    return hand_out(store, **existing);
  }

  if (name.empty()) name = "device-" + crypto::random_hex(6);
  auto existing = find_device(store, *profile, name);
  if (!existing) return answer("FAILURE", existing.error().message);
  if (*existing) return hand_out(store, **existing);

  model::Device d;
  d.tenant_id = profile->tenant_id;
  d.enterprise_id = profile->provision_enterprise_id;
  d.profile_id = profile->id;
  d.name = name;
  d.protocol = std::string(protocol);
  if (auto c = model::parse_category(field(req, "category"))) d.category = *c;
  std::string token = field(req, "token");
  if (!token.empty()) {
    if (auto st = model::check_access_token(token); !st) return answer("FAILURE", st.error().message);
    d.access_token = token;
  } else {
    d.access_token = crypto::random_token(15);
  }
  meta::Scope scope = meta::Scope::tenant(d.tenant_id);
  auto created = store.create_device(scope, d);
  if (!created) return answer("FAILURE", created.error().message);
  if (auto st = mark_provisioned(store, *created); !st) return answer("FAILURE", st.error().message);
  spdlog::info("provisioning: created device {} ({}) in enterprise {}", created->name, created->id,
               created->enterprise_id);
  return success(created->access_token);
}

}  // namespace kaiwu::device
