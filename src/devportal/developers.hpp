// Developer self-registration with e-mail verification (the developer portal's account flow):
//
//   register ──▶ pending ──verify(token)──▶ verified (user + sandbox tenant created)
//                 │  ▲
//                 └──┘ resend (at most once per resend interval; a new token replaces the old)
//
// A token is 32 random bytes (base64url) mailed as a link to portal.public_url/verify?token=…;
// only its SHA-256 is stored, with an expiry. Unknown tokens and expired tokens are distinct
// errors. Passwords arrive hashed (api/ checks the policy and hashes with argon2id).
// Thread-safe (the stores are); mails go through the MailQueue.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "devportal/mailer.hpp"
#include "devportal/sandbox.hpp"
#include "meta/developer_store.hpp"
#include "meta/store.hpp"

namespace kaiwu::devportal {

struct PortalOptions {
  std::string public_url = "http://localhost:8080";
  std::int64_t token_ttl_ms = 24 * 3'600'000;
  std::int64_t resend_interval_ms = 60'000;
};

struct Registration {
  std::string email;
  std::string name;
  std::string organisation;
  std::string password_hash;
};

// Checks an e-mail address (length, one '@', a dotted domain, no spaces or control characters);
// kInvalidArgument naming "email". Returns it lower-cased.
Result<std::string> normalise_email(std::string_view email);

class DeveloperService {
 public:
  DeveloperService(meta::MetadataStore& store, meta::DeveloperStore& developers, MailQueue& mail,
                   SandboxSimulator& sandbox, PortalOptions options,
                   std::function<std::int64_t()> clock = {});

  // Creates a pending account and mails its token. kAlreadyExists when the e-mail is taken.
  Result<meta::DeveloperAccount> register_developer(Registration r);
  // Activates the account holding the token: creates the developer user (username = e-mail,
  // role developer) and the sandbox. kInvalidArgument "token: …" for an unknown or used token,
  // kFailedPrecondition "token: … expired" for an expired one.
  Result<meta::DeveloperAccount> verify(const std::string& token);
  // Mails a fresh token to a pending account. kResourceExhausted within the resend interval;
  // kNotFound / kFailedPrecondition for unknown or already verified addresses.
  Status resend(const std::string& email);
  // The pending account's password hash, for login to explain "not verified yet".
  std::optional<std::string> pending_password_hash(const std::string& email);
  Result<meta::DeveloperAccount> by_user(const std::string& user_id) { return developers_.find_developer_by_user(user_id); }

 private:
  // Sets a fresh token on a, stores it and queues the mail.
  Status issue_token(meta::DeveloperAccount& a, bool create);

  meta::MetadataStore& store_;
  meta::DeveloperStore& developers_;
  MailQueue& mail_;
  SandboxSimulator& sandbox_;
  PortalOptions options_;
  std::function<std::int64_t()> clock_;
};

}  // namespace kaiwu::devportal
