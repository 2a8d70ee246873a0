// For test binaries outside meta/ that run a suite against PostgreSQL too (apps, models,
// metering): one throwaway server per binary (pg_server.hpp), started on first use and stopped
// at exit, and a fresh schema per test.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace kaiwu::meta::testing {

// The two backends a dual suite runs on: INSTANTIATE_TEST_SUITE_P(Backends, Suite,
// both_backends(), backend_name) on a fixture that is a TestWithParam<SqlBackend>.
struct SqlBackend {
  std::string name;
  bool postgres = false;
};

inline std::string backend_name(const ::testing::TestParamInfo<SqlBackend>& info) { return info.param.name; }

inline auto both_backends() {
  return ::testing::Values(SqlBackend{"Sqlite", false}, SqlBackend{"Postgres", true});
}

// The conninfo of a new, empty schema on the shared server (as its search_path); "" with *why
// set when PostgreSQL is not available (the caller skips).
std::string pg_fresh_schema(std::string* why);

}  // namespace kaiwu::meta::testing
