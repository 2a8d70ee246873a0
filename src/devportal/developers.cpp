#include "devportal/developers.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "core/crypto.hpp"
#include "core/ids.hpp"

namespace kaiwu::devportal {
namespace {

std::string verification_body(const meta::DeveloperAccount& a, const std::string& link, const std::string& token,
                              std::int64_t ttl_ms) {
  return fmt::format(
      "您好 {0}，\n\n请打开以下链接验证您的开物开发者账号：\n{1}\n\n"
      "Hello {0},\n\nplease verify your Kaiwu developer account by opening:\n{1}\n\n"
      "Verification token / 验证令牌: {2}\n"
      "The link expires in {3} hours. / 链接 {3} 小时内有效。\n",
      a.name, link, token, ttl_ms / 3'600'000.0);
}

}  // namespace

Result<std::string> normalise_email(std::string_view email) {
  auto bad = [&](std::string_view why) {
    return fail(Errc::kInvalidArgument, fmt::format("email: {}", why));
  };
  if (email.empty() || email.size() > 254) return bad("must be 1..254 characters");
  for (unsigned char c : email)
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';' || c == '"')
      return bad("contains a character not allowed in an address");
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos)
    return bad("must be one local part, '@' and a domain");
  const auto domain = email.substr(at + 1);
  if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.')
    return bad("the domain must contain a dot");
  std::string out(email);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

DeveloperService::DeveloperService(meta::MetadataStore& store, meta::DeveloperStore& developers, MailQueue& mail,
                                   SandboxSimulator& sandbox, PortalOptions options,
                                   std::function<std::int64_t()> clock)
    : store_(store),
      developers_(developers),
      mail_(mail),
      sandbox_(sandbox),
      options_(std::move(options)),
      clock_(clock ? std::move(clock) : std::function<std::int64_t()>(&now_ms)) {}

Status DeveloperService::issue_token(meta::DeveloperAccount& a, bool create) {
  const std::string token = crypto::base64url_encode(crypto::random_bytes(32));
  const std::int64_t now = clock_();
  a.token_hash = crypto::sha256_hex(token);
  a.token_expires_ms = now + options_.token_ttl_ms;
  a.token_sent_ms = now;
  if (create) {
    a = KAIWU_TRY(developers_.create_developer(a));
  } else {
    KAIWU_TRY_STATUS(developers_.update_developer(a));
  }
  std::string base = options_.public_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string link = base + "/verify?token=" + token;
  if (!mail_.enqueue(Mail{a.email, "Verify your Kaiwu developer account",
                          verification_body(a, link, token, options_.token_ttl_ms)}))
    return fail(Errc::kUnavailable, "the verification e-mail could not be queued; use resend in a minute");
  return ok();
}

Result<meta::DeveloperAccount> DeveloperService::register_developer(Registration r) {
  meta::DeveloperAccount a;
  a.email = KAIWU_TRY(normalise_email(r.email));
  if (store_.find_user_by_username(a.email))
    return fail(Errc::kAlreadyExists, "email: an account with this e-mail already exists");
  a.name = std::move(r.name);
  a.organisation = std::move(r.organisation);
  a.password_hash = std::move(r.password_hash);
  a.created_ms = clock_();
  KAIWU_TRY_STATUS(issue_token(a, true));
  return a;
}

Result<meta::DeveloperAccount> DeveloperService::verify(const std::string& token) {
  if (token.empty() || token.size() > 128) return fail(Errc::kInvalidArgument, "token: missing or malformed");
  auto found = developers_.find_developer_by_token(crypto::sha256_hex(token));
  if (!found) {
    if (found.error().code != Errc::kNotFound) return std::unexpected(found.error());
    return fail(Errc::kInvalidArgument, "token: unknown or already used verification token");
  }
  auto a = std::move(*found);
  const std::int64_t now = clock_();
  if (now >= a.token_expires_ms)
    return fail(Errc::kFailedPrecondition,
                "token: the verification token expired; ask for a new one (POST /api/v1/developers/resend)");
  SandboxIds ids;
  KAIWU_TRY_STATUS(store_.transaction([&]() -> Status {
    ids = KAIWU_TRY(sandbox_.provision(a.email, a.organisation));
    model::User u;
    u.tenant_id = ids.tenant_id;
    u.enterprise_id = ids.enterprise_id;
    u.username = a.email;
    u.display_name = a.name;
    u.role = model::Role::kDeveloper;
    u.password_hash = a.password_hash;
    auto user = KAIWU_TRY(store_.create_user(meta::Scope::tenant(ids.tenant_id), u));
    a.verified = true;
    a.verified_ms = now;
    a.token_hash.clear();
    a.token_expires_ms = 0;
    a.user_id = user.id;
    a.tenant_id = ids.tenant_id;
    a.enterprise_id = ids.enterprise_id;
    return developers_.update_developer(a);
  }));
  if (auto st = sandbox_.add(ids); !st) spdlog::warn("sandbox of {}: {}", a.email, st.error().message);
  spdlog::info("developer {} verified; sandbox tenant {}", a.email, a.tenant_id);
  return a;
}

Status DeveloperService::resend(const std::string& email) {
  auto normal = KAIWU_TRY(normalise_email(email));
  auto a = developers_.find_developer_by_email(normal);
  if (!a) {
    if (a.error().code == Errc::kNotFound) return fail(Errc::kNotFound, "email: no registration for this address");
    return std::unexpected(a.error());
  }
  if (a->verified) return fail(Errc::kFailedPrecondition, "email: this account is already verified; log in");
  const std::int64_t wait = a->token_sent_ms + options_.resend_interval_ms - clock_();
  if (wait > 0)
    return fail(Errc::kResourceExhausted,
                fmt::format("a verification e-mail was sent recently; try again in {} s", (wait + 999) / 1000));
  return issue_token(*a, false);
}

std::optional<std::string> DeveloperService::pending_password_hash(const std::string& email) {
  auto normal = normalise_email(email);
  if (!normal) return std::nullopt;
  auto a = developers_.find_developer_by_email(*normal);
  if (!a || a->verified) return std::nullopt;
  return a->password_hash;
}

}  // namespace kaiwu::devportal
