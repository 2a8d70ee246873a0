// The platform as `kaiwu serve` runs it, reusable by `kaiwu demo`: run_platform() loads the
// configuration, opens the stores, starts MQTT and HTTP and runs until SIGINT/SIGTERM. Hooks let
// a caller provision the store before the listeners open and run its own services beside them.
#pragma once

#include <functional>

#include "apps/marketplace.hpp"
#include "cli/commands.hpp"
#include "core/config.hpp"
#include "meta/store.hpp"
#include "report/solutions.hpp"

namespace kaiwu::cli {

struct PlatformHooks {
  // After the store opened and the first admin exists, before any listener: e.g. provisioning.
  // An error aborts the start (exit code 1).
  std::function<Status(const Config&, meta::MetadataStore&)> before_listen;
  // The APP platform is up and the built-in APPs are installed (not called when APPs are off).
  std::function<Status(apps::Marketplace&, const std::vector<std::string>& builtin_ids)> on_apps;
  // The solution catalogue is open and the built-in models and APPs are installed.
  std::function<Status(report::SolutionStore&)> on_solutions;
  // Listeners are up (on the HTTP io thread; start own threads, do not block).
  std::function<void(const Config&)> on_started;
  // Shutdown began (signal): stop own services; called before the platform drains.
  std::function<void()> on_stopping;
};

int run_platform(const CommonOptions& options, const PlatformHooks& hooks);

}  // namespace kaiwu::cli
