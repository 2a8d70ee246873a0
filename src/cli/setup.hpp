// Shared start-up of the subcommands: configuration, logging, data directory, metadata store.
#pragma once

#include <memory>

#include "cli/commands.hpp"
#include "core/config.hpp"
#include "meta/store.hpp"

namespace kaiwu::cli {

struct Environment {
  Config config;
  std::unique_ptr<meta::MetadataStore> store;
};

// Loads and validates the configuration, sets up logging, creates the data directory and
// opens the metadata store: SQLite in it, or PostgreSQL when meta.backend = postgres.
Result<Environment> load_environment(const CommonOptions& options);

}  // namespace kaiwu::cli
