// The subcommands of the kaiwu binary.
#pragma once

#include <string>
#include <vector>

namespace kaiwu::cli {

inline constexpr const char* kVersion = "0.1.0";

struct CommonOptions {
  std::string config_file;
  std::string data_dir = "./kaiwu-data";
  std::vector<std::string> sets;
};

struct CreateUserOptions {
  std::string username;
  std::string password;
  std::string role;
  std::string tenant_id;
  std::string park_id;
  std::string enterprise_id;
  std::string display_name;
};

int run_serve(const CommonOptions& options);
int run_create_user(const CommonOptions& options, const CreateUserOptions& user);
int run_print_config(const CommonOptions& options);
int run_tsdb_stats(const CommonOptions& options);

}  // namespace kaiwu::cli
