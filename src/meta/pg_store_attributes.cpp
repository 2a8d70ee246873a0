// PgStore: device attributes (table device_attributes, schema version 2).
#include <boost/json/parse.hpp>

#include <array>
#include <set>
#include <string_view>

#include "core/ids.hpp"
#include "meta/pg_db.hpp"
#include "meta/pg_store.hpp"
#include "meta/store_internal.hpp"

namespace kaiwu::meta {

using namespace detail;  // NOLINT(google-build-using-namespace): this module's own helpers

namespace {

using model::AttributeScope;

constexpr std::size_t kMaxKeyBytes = 256;
// How much of an over-long key an error message quotes.
constexpr std::size_t kQuotedKeyBytes = 64;

// In the order get_attributes returns them (the enum's order, not the alphabet's).
constexpr std::array<AttributeScope, 3> kScopes{AttributeScope::kClient, AttributeScope::kShared,
                                                AttributeScope::kServer};
constexpr std::string_view kScopeOrder =
    "ORDER BY CASE scope WHEN 'client' THEN 0 WHEN 'shared' THEN 1 ELSE 2 END, key";

constexpr std::string_view kSelect =
    "SELECT scope, key, value_json, updated_ms FROM device_attributes";
constexpr std::string_view kDelete = "DELETE FROM device_attributes";
constexpr std::string_view kUpsert =
    "INSERT INTO device_attributes (tenant_id, device_id, scope, key, value_json, updated_ms) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, scope, key) DO UPDATE SET "
    "value_json = excluded.value_json, updated_ms = excluded.updated_ms";

std::string scope_text(AttributeScope s) { return std::string(model::attribute_scope_name(s)); }

// The start of an over-long key, cut at a UTF-8 character boundary.
std::string quoted_key(std::string_view key) {
  if (key.size() <= kQuotedKeyBytes) return std::string(key);
  std::size_t n = kQuotedKeyBytes;
  while (n > 0 && (static_cast<unsigned char>(key[n]) & 0xC0U) == 0x80U) --n;
  return std::string(key.substr(0, n)) + "...";
}

Status check_attribute(const std::string& key, const std::string& value_json) {
  if (key.empty() || key.size() > kMaxKeyBytes) {
    return fail(Errc::kInvalidArgument, fmt::format("attribute key \"{}\" must be 1 to {} bytes",
                                                    quoted_key(key), kMaxKeyBytes));
  }
  boost::system::error_code ec;
  (void)boost::json::parse(value_json, ec);
  if (ec) {
    return fail(Errc::kInvalidArgument,
                fmt::format("attribute \"{}\": value is not valid JSON ({})", key, ec.message()));
  }
  return ok();
}

// Attribute rows of one device; the tenant condition repeats what the composite key guarantees.
Query of_device(std::string_view head, const model::Device& d) {
  Query q(head);
  q.where("device_id = ?", {d.id}).where("tenant_id = ?", {d.tenant_id});
  return q;
}

Result<model::Attribute> read_attribute(const Row& r) {
  const std::string scope = r.text(0);
  auto parsed = model::parse_attribute_scope(scope);
  if (!parsed) {
    return fail(Errc::kCorruption,
                fmt::format("attribute {} has unknown scope '{}'", r.text(1), scope));
  }
  return model::Attribute{*parsed, r.text(1), r.text(2), r.int64(3)};
}

}  // namespace

Status PgStore::set_attributes(const Scope& s, const std::string& device_id,
                                   AttributeScope scope,
                                   const std::vector<std::pair<std::string, std::string>>& values) {
  for (const auto& [key, value_json] : values) KAIWU_TRY_STATUS(check_attribute(key, value_json));
  const std::int64_t updated_ms = now_ms();
  return transaction([&]() -> Status {
    const model::Device d = KAIWU_TRY(get_device(s, device_id));
    for (const auto& [key, value_json] : values) {
      KAIWU_TRY_STATUS(db_->run(
          Query(kUpsert, {d.tenant_id, d.id, scope_text(scope), key, value_json, updated_ms})));
    }
    return ok();
  });
}

Result<std::vector<model::Attribute>> PgStore::get_attributes(
    const Scope& s, const std::string& device_id, std::optional<AttributeScope> scope,
    const std::vector<std::string>& keys) {
  const model::Device d = KAIWU_TRY(get_device(s, device_id));
  if (keys.empty()) {
    Query q = of_device(kSelect, d);
    if (scope) q.where("scope = ?", {scope_text(*scope)});
    q.tail(kScopeOrder);
    return db_->all(q, read_attribute);
  }
  // One primary-key lookup per scope and key (the statement stays the same whatever the number
  // of keys), visited in the order of the result: scopes in enum order, keys ascending as
  // std::string and SQLite's BINARY collation both compare, bytewise.
  const std::set<std::string> wanted(keys.begin(), keys.end());
  std::vector<model::Attribute> out;
  for (const AttributeScope sc : kScopes) {
    if (scope && *scope != sc) continue;
    for (const std::string& key : wanted) {
      Query q = of_device(kSelect, d);
      q.where("scope = ?", {scope_text(sc)}).where("key = ?", {key});
      auto row = KAIWU_TRY(db_->one(q, read_attribute));
      if (row) out.push_back(std::move(*row));
    }
  }
  return out;
}

Status PgStore::delete_attributes(const Scope& s, const std::string& device_id,
                                      AttributeScope scope, const std::vector<std::string>& keys) {
  return transaction([&]() -> Status {
    const model::Device d = KAIWU_TRY(get_device(s, device_id));
    if (keys.empty()) {
      Query q = of_device(kDelete, d);
      q.where("scope = ?", {scope_text(scope)});
      KAIWU_TRY_STATUS(db_->run(q));
      return ok();
    }
    for (const std::string& key : keys) {
      Query q = of_device(kDelete, d);
      q.where("scope = ?", {scope_text(scope)}).where("key = ?", {key});
      KAIWU_TRY_STATUS(db_->run(q));
    }
    return ok();
  });
}

}  // namespace kaiwu::meta
