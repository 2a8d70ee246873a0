#include "apps/marketplace.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "apps/builtin.hpp"
#include "core/crypto.hpp"

namespace kaiwu::apps {

Marketplace::Marketplace(AppStore& store, AppRuntime* runtime, std::vector<std::string> platform_keys)
    : store_(store), runtime_(runtime), platform_keys_(std::move(platform_keys)) {
  if (runtime_) runtime_->set_verifier([this](const CheckedPackage& p) { return verify(p); });
}

Result<std::string> Marketplace::verify(const CheckedPackage& p) {
  std::vector<std::string> keys = platform_keys_;
  for (auto& k : KAIWU_TRY(store_.list_publisher_keys(p.manifest.publisher))) keys.push_back(std::move(k.public_key_pem));
  return verify_package(p, keys);
}

Result<AppVersion> Marketplace::upload(std::string_view package_text, const std::string& uploader) {
  auto package = KAIWU_TRY(parse_package(package_text));
  auto checked = KAIWU_TRY(check_package(std::move(package)));
  auto fingerprint = KAIWU_TRY(verify(checked));
  AppVersion v;
  v.app_id = checked.manifest.id;
  v.version = checked.manifest.version;
  v.manifest_text = checked.package.files.at("manifest.json");
  v.package_text = package_json(checked.package);
  v.digest_hex = crypto::to_hex(checked.digest);
  v.key_fingerprint = fingerprint;
  v.uploaded_by = uploader;
  return store_.add_version(v, checked.manifest.publisher);
}

Result<PublisherKey> Marketplace::add_key(const std::string& publisher, std::string_view pem, const std::string& owner) {
  if (publisher == kPlatformPublisher && !owner.empty())  // the built-in APPs' publisher
    return fail(Errc::kPermissionDenied, "publisher 'kaiwu' is the platform's; only platform admins add its keys");
  PublisherKey k;
  k.fingerprint = KAIWU_TRY(public_key_fingerprint(pem));
  k.publisher = publisher;
  k.public_key_pem = std::string(pem);
  k.owner_user_id = owner;
  return store_.add_publisher_key(k);
}

Result<AppVersion> Marketplace::review(const std::string& app_id, const std::string& version, bool approve,
                                       const std::string& reason, const std::string& reviewer) {
  if (!approve && reason.empty()) return fail(Errc::kInvalidArgument, "reason: a rejection needs a reason");
  auto v = KAIWU_TRY(store_.review_version(app_id, version, approve, reason, reviewer));
  changed();
  return v;
}

Result<Subscription> Marketplace::subscribe(const std::string& app_id, const std::string& tenant_id,
                                            const std::string& enterprise_id, const std::string& plan_id,
                                            const std::string& by) {
  auto listed = KAIWU_TRY(load_listed(app_id));
  std::string plan = plan_id;
  if (plan.empty()) plan = listed.manifest.plans.front().id;
  const bool known = std::any_of(listed.manifest.plans.begin(), listed.manifest.plans.end(),
                                 [&](const Plan& p) { return p.id == plan; });
  if (!known) return fail(Errc::kInvalidArgument, fmt::format("plan: app {} has no plan '{}'", app_id, plan));
  Subscription s{app_id, tenant_id, enterprise_id, plan, 0, by, 0};
  auto out = KAIWU_TRY(store_.subscribe(s));
  changed();
  return out;
}

Status Marketplace::unsubscribe(const std::string& app_id, const std::string& tenant_id,
                                const std::string& enterprise_id) {
  KAIWU_TRY_STATUS(store_.unsubscribe(app_id, tenant_id, enterprise_id));
  changed();
  return ok();
}

Result<CheckedPackage> Marketplace::load(const std::string& app_id, const std::string& version) {
  auto v = KAIWU_TRY(store_.get_version(app_id, version));
  auto package = KAIWU_TRY(parse_package(v.package_text));
  auto checked = KAIWU_TRY(check_package(std::move(package)));
  KAIWU_TRY(verify(checked));  // a package altered where it is stored is not trusted
  return checked;
}

Result<CheckedPackage> Marketplace::load_listed(const std::string& app_id) {
  auto app = KAIWU_TRY(store_.get_app(app_id));
  if (app.listed_version.empty()) return fail(Errc::kNotFound, fmt::format("app {} is not listed", app_id));
  return load(app_id, app.listed_version);
}

void Marketplace::changed() {
  reload_runtime();
  if (changed_) changed_();
}

void Marketplace::reload_runtime() {
  if (!runtime_) return;
  if (auto st = runtime_->reload(); !st) spdlog::error("APP runtime reload failed: {}", st.error().message);
}

}  // namespace kaiwu::apps
