// ModelService: the model catalogue (publish, versions, deprecate, built-in seeding) over a
// meta::ModelStore, and invocation of a model version on bound inputs and parameters: built-in
// kernels in C++, Lua scripts in a pool of rules::Sandbox (one per concurrent call), workflows by
// the state-machine runner. Every invocation is recorded through metering::Meter (kModelCall).
//
// Thread-safe; calls block (SQLite, Lua): run them on the HTTP handler pool, never on an
// io_context thread.
#pragma once

#include <boost/json/value.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "meta/model_store.hpp"
#include "metering/meter.hpp"
#include "models/manifest.hpp"
#include "rules/sandbox.hpp"

namespace kaiwu::models {

using ModelStore = meta::ModelStore;

struct Caller {
  std::string tenant_id;      // empty: the platform (public catalogue)
  std::string enterprise_id;  // for metering, when an API key acts for an enterprise
  std::string actor;          // user name or "apikey:<prefix>"
};

// Why an invocation failed: the caller's inputs (HTTP 400) or the model itself (HTTP 422: a
// Lua error or limit, a workflow expression that fails, outputs of the wrong shape).
struct InvokeError {
  enum class Kind { kInput, kModel } kind = Kind::kInput;
  Error error;
};
template <typename T>
using InvokeResult = std::expected<T, InvokeError>;

struct Invocation {
  Values outputs;
  std::int64_t duration_us = 0;
};

inline rules::SandboxLimits default_model_limits() {
  return rules::SandboxLimits{50'000'000, 64u << 20, std::chrono::milliseconds(2000)};
}

class ModelService {
 public:
  ModelService(ModelStore& store, metering::Meter& meter, rules::SandboxLimits limits = default_model_limits());

  // Adds the built-in public models whose version is not stored yet. Idempotent.
  Status seed_builtins();

  // Publishes a manifest as a new model or a new version of one (owner: caller.tenant_id; the
  // platform publishes public models). The version must be greater than every stored one and
  // the type unchanged. Ids "kaiwu.*" are reserved for the platform. kInvalidArgument lists
  // every problem of the manifest.
  Result<meta::ModelRecord> publish(const Caller& caller, const boost::json::value& manifest);

  // Parses a stored record's manifest (cached by owner/id/version).
  Result<std::shared_ptr<const Manifest>> manifest_of(const meta::ModelRecord& record);

  // Binds and checks inputs and parameters, runs the implementation, checks the outputs, and
  // meters the call (also when it fails).
  InvokeResult<Invocation> invoke(const Caller& caller, const meta::ModelRecord& record, const Values& inputs,
                                  const Values& parameters);

  // Runs a manifest without the catalogue or metering (validated inputs and parameters).
  InvokeResult<Values> execute(const Manifest& m, const std::string& cache_name, const Values& inputs,
                               const Values& parameters);

  ModelStore& store() { return store_; }

 private:
  std::unique_ptr<rules::Sandbox> acquire();
  void release(std::unique_ptr<rules::Sandbox> sandbox);
  InvokeResult<Values> run_lua(const Manifest& m, const std::string& name, const Values& in, const Values& params);

  ModelStore& store_;
  metering::Meter& meter_;
  rules::SandboxLimits limits_;
  std::mutex mu_;  // guards idle_ and cache_
  std::vector<std::unique_ptr<rules::Sandbox>> idle_;
  std::map<std::string, std::shared_ptr<const Manifest>> cache_;
};

// The record's API form (camelCase; the manifest as an object).
boost::json::object record_to_json(const meta::ModelRecord& r);

}  // namespace kaiwu::models
