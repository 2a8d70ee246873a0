#include "models/runtime.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>

#include "core/json_parse.hpp"
#include "models/builtins.hpp"
#include "models/ode.hpp"

namespace kaiwu::models {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxIdleSandboxes = 4;
constexpr std::size_t kMaxCachedManifests = 1024;
constexpr std::string_view kReservedPrefix = "kaiwu.";

std::unexpected<InvokeError> input_error(Error e) {
  return std::unexpected(InvokeError{InvokeError::Kind::kInput, std::move(e)});
}
std::unexpected<InvokeError> model_error(Error e) {
  return std::unexpected(InvokeError{InvokeError::Kind::kModel, std::move(e)});
}

json::object to_json_object(const Values& v) {
  json::object o;
  for (const auto& [k, x] : v) o[k] = value_to_json(x);
  return o;
}

// A script's outputs back into Values (integers read as numbers, an empty table as an empty series).
Result<Values> from_json_object(const json::object& o) {
  Values out;
  for (const auto& [k, v] : o) {
    if (v.is_object() && v.get_object().empty()) {  // Lua cannot tell {} from an empty array
      out.emplace(std::string(k), Value{std::vector<double>{}});
      continue;
    }
    auto value = value_from_json(v, fmt::format("output {}", std::string_view(k)));
    if (!value) return std::unexpected(value.error());
    out.emplace(std::string(k), std::move(*value));
  }
  return out;
}

Variables workflow_variables(const Values& in, const Values& params) {
  Variables vars;
  for (const auto* src : {&params, &in}) {
    for (const auto& [k, v] : *src) {
      if (auto* d = std::get_if<double>(&v)) vars.insert_or_assign(k, ExprValue{*d});
      else if (auto* b = std::get_if<bool>(&v)) vars.insert_or_assign(k, ExprValue{*b});
      else if (auto* s = std::get_if<std::string>(&v)) vars.insert_or_assign(k, ExprValue{*s});
    }
  }
  return vars;
}

Values workflow_outputs(const WorkflowRun& run) {
  Values out;
  for (const auto& [k, v] : run.vars) {
    if (auto* d = std::get_if<double>(&v)) out.emplace(k, Value{*d});
    else if (auto* b = std::get_if<bool>(&v)) out.emplace(k, Value{*b});
    else out.emplace(k, Value{std::get<std::string>(v)});
  }
  std::string path;
  for (const auto& s : run.path) path += (path.empty() ? "" : ">") + s;
  out.insert_or_assign("state", Value{run.state});
  out.insert_or_assign("steps", Value{static_cast<double>(run.steps)});
  out.insert_or_assign("path", Value{path});
  out.insert_or_assign("stoppedBy", Value{run.stopped});
  return out;
}

std::string cache_key(const meta::ModelRecord& r) { return r.tenant_id + "/" + r.id + "@" + r.version; }

}  // namespace

ModelService::ModelService(ModelStore& store, metering::Meter& meter, rules::SandboxLimits limits)
    : store_(store), meter_(meter), limits_(limits) {}

Status ModelService::seed_builtins() {
  std::size_t added = 0;
  for (const auto& m : builtin_manifests()) {
    auto parsed = parse_manifest(m);
    if (!parsed) return fail(Errc::kInternal, "built-in model manifest: " + parsed.error().message);
    auto existing = store_.get_model("", parsed->id, parsed->version);
    if (existing) continue;
    if (existing.error().code != Errc::kNotFound) return std::unexpected(existing.error());
    meta::ModelRecord r;
    r.id = parsed->id;
    r.version = parsed->version;
    r.type = std::string(model_type_name(parsed->type));
    r.name_zh = parsed->name_zh;
    r.name_en = parsed->name_en;
    r.manifest = json::serialize(m);
    r.created_by = "kaiwu";
    auto stored = store_.add_model_version(r);
    // Cluster nodes sharing one catalogue may seed at the same moment: another node won.
    if (!stored && stored.error().code == Errc::kAlreadyExists) continue;
    if (!stored) return std::unexpected(stored.error());
    ++added;
  }
  if (added > 0) spdlog::info("models: seeded {} built-in public models", added);
  return ok();
}

Result<meta::ModelRecord> ModelService::publish(const Caller& caller, const json::value& manifest) {
  auto m = KAIWU_TRY(parse_manifest(manifest));
  if (!caller.tenant_id.empty() && m.id.starts_with(kReservedPrefix))
    return fail(Errc::kInvalidArgument, "/id: ids starting with \"kaiwu.\" are reserved for platform models");
  auto versions = store_.list_model_versions(caller.tenant_id, m.id);
  if (versions) {
    for (const auto& v : *versions) {
      if (v.tenant_id != caller.tenant_id) break;  // a public model this tenant would shadow
      if (v.type != model_type_name(m.type))
        return fail(Errc::kInvalidArgument, fmt::format("/type: model {} is a {} model; a new version cannot change it",
                                                        m.id, v.type));
      auto sv = parse_semver(v.version);
      if (sv && compare_semver(m.semver, *sv) <= 0)
        return fail(Errc::kFailedPrecondition,
                    fmt::format("/version: {} is not greater than the stored version {}", m.version, v.version));
    }
  } else if (versions.error().code != Errc::kNotFound) {
    return std::unexpected(versions.error());
  }
  meta::ModelRecord r;
  r.tenant_id = caller.tenant_id;
  r.id = m.id;
  r.version = m.version;
  r.type = std::string(model_type_name(m.type));
  r.name_zh = m.name_zh;
  r.name_en = m.name_en;
  r.manifest = json::serialize(manifest);
  r.created_by = caller.actor;
  return store_.add_model_version(r);
}

Result<std::shared_ptr<const Manifest>> ModelService::manifest_of(const meta::ModelRecord& record) {
  const std::string key = cache_key(record);
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  }
  auto doc = KAIWU_TRY(parse_json(record.manifest));
  auto m = parse_manifest(doc);
  if (!m) return fail(Errc::kCorruption, fmt::format("stored manifest of model {} {}: {}", record.id, record.version,
                                                     m.error().message));
  auto shared = std::make_shared<const Manifest>(std::move(*m));
  std::lock_guard lock(mu_);
  if (cache_.size() >= kMaxCachedManifests) cache_.clear();
  cache_.emplace(key, shared);
  return shared;
}

InvokeResult<Invocation> ModelService::invoke(const Caller& caller, const meta::ModelRecord& record,
                                              const Values& inputs, const Values& parameters) {
  const auto start = std::chrono::steady_clock::now();
  auto finish = [&](bool ok_) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    meter_.record(metering::Record{.kind = metering::Kind::kModelCall,
                                   .tenant_id = caller.tenant_id,
                                   .enterprise_id = caller.enterprise_id,
                                   .subject_id = record.id,
                                   .actor_id = caller.actor,
                                   .function = record.version,
                                   .ok = ok_,
                                   .ts_ms = 0,
                                   .duration_us = us});
    return us;
  };
  auto m = manifest_of(record);
  if (!m) {
    finish(false);
    return model_error(m.error());
  }
  auto in = bind_inputs(**m, inputs);
  auto params = in ? bind_parameters(**m, parameters) : Result<Values>{};
  if (!in || !params) {
    finish(false);
    return input_error(!in ? in.error() : params.error());
  }
  auto out = execute(**m, cache_key(record), *in, *params);
  const auto us = finish(out.has_value());
  if (!out) return std::unexpected(out.error());
  return Invocation{std::move(*out), us};
}

InvokeResult<Values> ModelService::execute(const Manifest& m, const std::string& cache_name, const Values& in,
                                           const Values& params) {
  Values produced;
  switch (m.kind) {
    case ImplKind::kBuiltin: {
      const Kernel* k = find_kernel(m.kernel);
      if (!k) return model_error(Error{Errc::kInternal, "unknown kernel " + m.kernel});
      auto r = (*k)(in, params);
      if (!r) return input_error(r.error());
      produced = std::move(*r);
      break;
    }
    case ImplKind::kLua: {
      auto r = run_lua(m, cache_name, in, params);
      if (!r) return r;
      produced = std::move(*r);
      break;
    }
    case ImplKind::kWorkflow: {
      auto run = run_workflow(*m.workflow, workflow_variables(in, params));
      if (!run) return model_error(run.error());
      produced = workflow_outputs(*run);
      break;
    }
  }
  auto checked = check_outputs(m, std::move(produced));
  if (!checked) return model_error(checked.error());
  return std::move(*checked);
}

InvokeResult<Values> ModelService::run_lua(const Manifest& m, const std::string& name, const Values& in,
                                           const Values& params) {
  auto sandbox = acquire();
  json::object globals{{"inputs", to_json_object(in)}, {"params", to_json_object(params)}};
  InvokeResult<Values> result;
  if (m.ode_state.empty()) {
    auto out = sandbox->run_model(name, m.script, globals);
    if (!out) result = model_error(out.error());
    else if (auto v = from_json_object(*out); !v) result = model_error(v.error());
    else result = std::move(*v);
  } else {
    std::vector<double> y0;
    for (const auto& s : m.ode_state) y0.push_back(std::get<double>(in.find(s)->second));
    const double h = std::get<double>(params.find("h")->second);
    const double steps = std::round(std::get<double>(params.find("duration")->second) / h);
    if (!(steps >= 1) || steps > static_cast<double>(kMaxOdeSteps)) {
      release(std::move(sandbox));
      return input_error(Error{Errc::kInvalidArgument, "parameters.duration: duration / h must be 1..100000 steps"});
    }
    Result<Trajectory> traj = fail(Errc::kInternal, "not integrated");
    auto st = sandbox->run_ode(name, m.script, globals, "rhs", [&](const rules::Sandbox::LuaDerivative& f) -> Status {
      traj = rk4(f, y0, 0, h, static_cast<std::size_t>(steps));
      if (!traj) return std::unexpected(traj.error());
      return ok();
    });
    if (!st) {
      result = model_error(st.error());
    } else {
      Values out;
      for (std::size_t i = 0; i < m.ode_state.size(); ++i) {
        out.emplace(m.ode_state[i] + "Final", Value{traj->state[i].back()});
        out.emplace(m.ode_state[i], Value{std::move(traj->state[i])});
      }
      out.emplace("t", Value{std::move(traj->t)});
      result = std::move(out);
    }
  }
  release(std::move(sandbox));
  return result;
}

std::unique_ptr<rules::Sandbox> ModelService::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto s = std::move(idle_.back());
      idle_.pop_back();
      return s;
    }
  }
  return std::make_unique<rules::Sandbox>(limits_);
}

void ModelService::release(std::unique_ptr<rules::Sandbox> sandbox) {
  std::lock_guard lock(mu_);
  if (idle_.size() < kMaxIdleSandboxes) idle_.push_back(std::move(sandbox));
}

json::object record_to_json(const meta::ModelRecord& r) {
  json::value manifest;
  if (auto parsed = parse_json(r.manifest)) manifest = std::move(*parsed);
  json::object o{{"id", r.id},
                 {"version", r.version},
                 {"public", r.tenant_id.empty()},
                 {"type", r.type},
                 {"name", {{"zh", r.name_zh}, {"en", r.name_en}}},
                 {"deprecated", r.deprecated},
                 {"createdBy", r.created_by},
                 {"createdAt", r.created_ms},
                 {"manifest", std::move(manifest)}};
  o["tenantId"] = r.tenant_id.empty() ? json::value(nullptr) : json::value(r.tenant_id);
  if (auto t = parse_model_type(r.type)) o["typeLabel"] = model_type_label_zh(*t);
  return o;
}

}  // namespace kaiwu::models
