// Marketplace: the APP lifecycle across AppStore and the runtime.
//
//   upload (signed package, verified against the platform's trusted keys and the publisher's
//   registered keys) ──► pending ──review: approve──► approved ──(newest approved)──► listed
//                            └──────review: reject (reason)──► rejected
//   listed APP ──subscribe(enterprise, plan)──► running for that enterprise ──unsubscribe──► stopped
//
// Authorisation (who may upload, review, subscribe) is the REST layer's; this class enforces the
// rules of the data: signatures, plans, listing. Thread-safe; calls block on the store.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "apps/package.hpp"
#include "apps/runtime.hpp"
#include "apps/store.hpp"

namespace kaiwu::apps {

class Marketplace {
 public:
  // platform_keys: PEM Ed25519 public keys trusted for every publisher (apps.trusted_keys).
  Marketplace(AppStore& store, AppRuntime* runtime, std::vector<std::string> platform_keys);

  // Parses, validates and verifies a package, then stores it as a pending version.
  // kInvalidArgument (validation, with file:line / JSON pointers), kPermissionDenied (unsigned,
  // bad signature, unknown key, APP owned by another publisher), kAlreadyExists.
  Result<AppVersion> upload(std::string_view package_text, const std::string& uploader);
  // The fingerprint of the trusted key (platform, or the manifest publisher's) that verifies
  // the package's signature; kPermissionDenied otherwise. The runtime checks every package it
  // loads with this (set as its verifier), so a package altered in the database is not run.
  Result<std::string> verify(const CheckedPackage& p);
  // Registers a publisher key (PEM). kInvalidArgument for a key that is not Ed25519.
  Result<PublisherKey> add_key(const std::string& publisher, std::string_view pem, const std::string& owner);

  Result<AppVersion> review(const std::string& app_id, const std::string& version, bool approve,
                            const std::string& reason, const std::string& reviewer);
  // kFailedPrecondition when the APP is not listed; kInvalidArgument for an unknown plan.
  Result<Subscription> subscribe(const std::string& app_id, const std::string& tenant_id,
                                 const std::string& enterprise_id, const std::string& plan_id, const std::string& by);
  Status unsubscribe(const std::string& app_id, const std::string& tenant_id, const std::string& enterprise_id);

  // The package of a version, checked and verified again (it was when uploaded).
  Result<CheckedPackage> load(const std::string& app_id, const std::string& version);
  // The listed version's package; kNotFound when the APP is not listed.
  Result<CheckedPackage> load_listed(const std::string& app_id);

  AppStore& store() { return store_; }
  std::size_t platform_key_count() const { return platform_keys_.size(); }

  // Loads the subscriptions and listed versions into the runtime again (after a change made by
  // another node of a cluster). Errors are logged.
  void reload_runtime();
  // Called after each review, subscribe and unsubscribe made here, once the runtime has them
  // (kaiwu serve in a cluster: the signal that makes the other nodes reload). Set before use.
  void set_on_change(std::function<void()> changed) { changed_ = std::move(changed); }

 private:
  void changed();

  AppStore& store_;
  AppRuntime* runtime_;
  std::function<void()> changed_;
  std::vector<std::string> platform_keys_;
};

}  // namespace kaiwu::apps
