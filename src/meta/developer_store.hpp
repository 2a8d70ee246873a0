// Third-party developer accounts of the developer portal: self-registered, pending until the
// e-mail verification token is presented, then linked to the user and sandbox tenant created for
// them. Only the SHA-256 of a verification token is stored. Emails are unique (kAlreadyExists).
// Thread-safe; implemented by SqlStore (SQLite and PostgreSQL) beside MetadataStore (schema
// version 8).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace kaiwu::meta {

struct DeveloperAccount {
  std::string id;
  std::string email;  // lower-case; also the username once verified
  std::string name;
  std::string organisation;
  std::string password_hash;  // argon2id, chosen at registration
  bool verified = false;
  std::string token_hash;  // hex SHA-256 of the pending verification token; empty when none
  std::int64_t token_expires_ms = 0;
  std::int64_t token_sent_ms = 0;  // last time a token was mailed (resend rate limit)
  std::int64_t created_ms = 0;
  std::int64_t verified_ms = 0;
  std::string user_id;  // set on verification, with the sandbox below
  std::string tenant_id;
  std::string enterprise_id;
};

class DeveloperStore {
 public:
  virtual ~DeveloperStore() = default;
  virtual Result<DeveloperAccount> create_developer(const DeveloperAccount& a) = 0;
  virtual Result<DeveloperAccount> find_developer_by_email(const std::string& email) = 0;
  virtual Result<DeveloperAccount> find_developer_by_token(const std::string& token_hash) = 0;
  virtual Result<DeveloperAccount> find_developer_by_user(const std::string& user_id) = 0;
  // Writes every field but id, email and created_ms (kNotFound when the id does not exist).
  virtual Status update_developer(const DeveloperAccount& a) = 0;
  virtual Result<std::vector<DeveloperAccount>> list_verified_developers() = 0;
};

}  // namespace kaiwu::meta
