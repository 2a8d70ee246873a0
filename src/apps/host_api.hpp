// The host API an APP's Lua code sees as the table `kaiwu` (README.md lists it). Every
// function checks the permission it needs against the manifest and reaches only the
// subscribing enterprise's devices: a device of another enterprise or tenant is "not found".
#pragma once

#include <string>
#include <vector>

#include "apps/manifest.hpp"
#include "apps/runtime.hpp"
#include "meta/store.hpp"
#include "rules/sandbox.hpp"
#include "tsdb/store.hpp"

namespace kaiwu::apps {

struct RunContext {
  const Manifest& manifest;
  meta::Scope scope;  // tenant and enterprise of the subscription
  meta::MetadataStore& meta;
  tsdb::TelemetryStore& telemetry;
  const RuntimeHooks& hooks;
  std::size_t max_log_lines = 50;
  std::vector<std::string> log;  // kaiwu.log lines
  std::string denied;            // the first permission refusal, if any
  std::vector<std::vector<tsdb::Point>> written;  // each telemetry.write of the run (published by the runtime)
};

// Host functions bound to ctx (which must outlive the run).
rules::HostApi make_host_api(RunContext& ctx);

}  // namespace kaiwu::apps
