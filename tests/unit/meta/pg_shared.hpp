// For test binaries outside meta/ that run a suite against PostgreSQL too (apps, models,
// metering): one throwaway server per binary (pg_server.hpp), started on first use and stopped
// at exit, and a fresh schema per test.
#pragma once

#include <string>

namespace kaiwu::meta::testing {

// The conninfo of a new, empty schema on the shared server (as its search_path); "" with *why
// set when PostgreSQL is not available (the caller skips).
std::string pg_fresh_schema(std::string* why);

}  // namespace kaiwu::meta::testing
