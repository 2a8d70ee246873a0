// The ClickHouse TelemetryStore: connection pool, schema, the batched write path, deletes and
// retention. Queries are in clickhouse_read.cpp.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "tsdb/clickhouse_impl.hpp"

namespace kaiwu::tsdb {

namespace ch {

std::string quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('\'');
  for (char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      case '\0': out += "\\0"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

}  // namespace ch

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string url_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out.push_back(static_cast<char>(c));
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

bool valid_identifier(std::string_view s) {
  if (s.empty() || s.size() > 64 || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

void encode_point(ch::RowWriter& w, const Point& p, std::uint64_t ver) {
  w.put_string(p.tenant);
  w.put_string(p.device);
  w.put_string(p.key);
  w.put<std::int64_t>(p.ts);
  w.put<std::uint64_t>(ver);
  w.put<std::uint8_t>(static_cast<std::uint8_t>(type_of(p.value)));
  w.put<double>(type_of(p.value) == ValueType::kDouble ? std::get<double>(p.value) : 0.0);
  w.put<std::int64_t>(type_of(p.value) == ValueType::kInt ? std::get<std::int64_t>(p.value) : 0);
  w.put<std::uint8_t>(type_of(p.value) == ValueType::kBool && std::get<bool>(p.value) ? 1 : 0);
  w.put_string(type_of(p.value) == ValueType::kString ? std::string_view(std::get<std::string>(p.value)) : "");
}

// The upper bound (exclusive) of the timestamps partition period p can hold (intDiv truncates
// towards zero, so period 0 spans both sides of the epoch).
std::int64_t period_end(std::int64_t p) { return p >= 0 ? (p + 1) * kPartitionMs : p * kPartitionMs + 1; }

constexpr auto kCompactEvery = std::chrono::minutes(10);

}  // namespace

ClickHouseStore::ClickHouseStore(ClickHouseOptions o, HttpUrl server)
    : o_(std::move(o)), server_(std::move(server)), db_("`" + o_.database + "`") {
  // Versions order writes: nanoseconds since the epoch at start, then one per row, so a
  // restarted node still writes newer versions than before (and nodes order by wall clock).
  next_ver_ = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

ClickHouseStore::~ClickHouseStore() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  flusher_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
}

Status ClickHouseStore::init() {
  KAIWU_TRY(query(fmt::format("CREATE DATABASE IF NOT EXISTS {}", db_)));
  // ReplacingMergeTree(ver): merges keep the newest version of a (series, ts); reads do not
  // wait for merges (argMax by ver).
  KAIWU_TRY(query(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (tenant String, device String, key String, ts Int64, ver UInt64, "
      "type UInt8, vf Float64, vi Int64, vb UInt8, vs String) ENGINE = ReplacingMergeTree(ver) "
      "PARTITION BY (tenant, intDiv(ts, {})) ORDER BY (tenant, device, key, ts)",
      table("samples"), kPartitionMs)));
  KAIWU_TRY(query(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (tenant String, device String, key String, "
      "s AggregateFunction(argMax, Tuple(Int64, UInt8, Float64, Int64, UInt8, String), Tuple(Int64, UInt64))) "
      "ENGINE = AggregatingMergeTree() ORDER BY (tenant, device, key)",
      table("latest"))));
  KAIWU_TRY(query(fmt::format(
      "CREATE MATERIALIZED VIEW IF NOT EXISTS {} TO {} AS SELECT tenant, device, key, "
      "argMaxState(tuple(ts, type, vf, vi, vb, vs), tuple(ts, ver)) AS s FROM {} GROUP BY tenant, device, key",
      table("latest_mv"), table("latest"), table("samples"))));
  KAIWU_TRY(query(fmt::format(
      "CREATE TABLE IF NOT EXISTS {} (tenant String, ttl_ms Int64, ver UInt64) "
      "ENGINE = ReplacingMergeTree(ver) ORDER BY tenant",
      table("retention"))));
  KAIWU_TRY_STATUS(load_retention());
  flusher_ = std::thread([this] { flusher_loop(); });
  return ok();
}

// ---- HTTP ------------------------------------------------------------------------------------

Result<std::string> ClickHouseStore::post(const HttpRequest& request) {
  std::unique_ptr<HttpClient> client;
  {
    std::unique_lock lock(pool_mu_);
    pool_cv_.wait(lock, [&] { return !idle_.empty() || open_clients_ < o_.connections; });
    if (!idle_.empty()) {
      client = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_clients_;
    }
  }
  if (!client)
    client = std::make_unique<HttpClient>(
        server_, HttpClientOptions{.timeout = o_.timeout, .body_limit = 1ULL << 30, .user_agent = "kaiwu-tsdb"});
  auto res = client->send(request);
  {
    std::lock_guard lock(pool_mu_);
    idle_.push_back(std::move(client));
  }
  pool_cv_.notify_one();
  if (!res) return fail(res.error().code, "clickhouse: " + res.error().message);
  if (res->status != 200) {
    std::string text = res->body.substr(0, 400);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return fail(Errc::kUnavailable, fmt::format("clickhouse answered HTTP {}: {}", res->status, text));
  }
  return std::move(res->body);
}

Result<std::string> ClickHouseStore::query(std::string_view sql) {
  HttpRequest r;
  r.target = server_.target;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::string(sql);
  return post(r);
}

Status ClickHouseStore::insert_rows(HttpClient& client, const std::string& rows) {
  HttpRequest r;
  r.target = server_.target + "?query=" +
             url_encode(fmt::format("INSERT INTO {} ({}) FORMAT RowBinary", table("samples"), kSampleColumns));
  r.content_type = "application/octet-stream";
  r.body = rows;
  auto res = client.send(r);
  if (!res) return fail(res.error().code, "clickhouse insert: " + res.error().message);
  if (res->status != 200)
    return fail(Errc::kUnavailable, fmt::format("clickhouse insert answered HTTP {}: {}", res->status,
                                                res->body.substr(0, 400)));
  return ok();
}

// ---- writes ----------------------------------------------------------------------------------

Status ClickHouseStore::write(std::span<const Point> points) {
  if (points.empty()) return ok();
  std::string rows;
  rows.reserve(points.size() * 64);
  ch::RowWriter w(rows);
  const std::uint64_t ver = next_ver_.fetch_add(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) encode_point(w, points[i], ver + i);

  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return stop_ || queued_rows_ == 0 || queued_rows_ + points.size() <= o_.buffer_max_rows; });
  if (stop_) return fail(Errc::kUnavailable, "telemetry store is shutting down");
  if (pending_.empty() || pending_.back()->count + points.size() > o_.batch_max_rows)
    pending_.push_back(std::make_shared<Batch>());
  auto batch = pending_.back();
  batch->rows += rows;
  batch->count += points.size();
  queued_rows_ += points.size();
  flusher_cv_.notify_one();
  done_cv_.wait(lock, [&] { return batch->done; });
  return batch->result;
}

void ClickHouseStore::flusher_loop() {
  HttpClient client(server_, HttpClientOptions{.timeout = o_.timeout, .user_agent = "kaiwu-tsdb"});
  auto last_insert = std::chrono::steady_clock::now() - std::chrono::hours(1);
  auto next_compact = std::chrono::steady_clock::now() + kCompactEvery;
  std::unique_lock lock(mu_);
  for (;;) {
    flusher_cv_.wait_until(lock, next_compact, [&] { return stop_ || !pending_.empty(); });
    if (pending_.empty()) {
      if (stop_) return;
      if (std::chrono::steady_clock::now() >= next_compact) {
        lock.unlock();
        (void)compact();  // retention is best effort here; compact() reports to explicit callers
        lock.lock();
        next_compact = std::chrono::steady_clock::now() + kCompactEvery;
      }
      continue;
    }
    // Start at most one insert per interval unless a full batch is waiting: ClickHouse makes a
    // part per insert, and fewer, larger parts merge cheaper.
    auto due = last_insert + std::chrono::milliseconds(o_.min_insert_interval_ms);
    flusher_cv_.wait_until(lock, due, [&] {
      return stop_ || pending_.size() > 1 || pending_.front()->count >= o_.batch_max_rows;
    });
    auto batch = pending_.front();
    pending_.pop_front();
    queued_rows_ -= batch->count;
    ++in_flight_;
    last_insert = std::chrono::steady_clock::now();
    lock.unlock();
    Status st = insert_rows(client, batch->rows);
    lock.lock();
    --in_flight_;
    batch->result = std::move(st);
    batch->done = true;
    done_cv_.notify_all();
  }
}

Status ClickHouseStore::flush() {
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return pending_.empty() && in_flight_ == 0; });
  return ok();
}

// ---- deletes ---------------------------------------------------------------------------------

std::string ClickHouseStore::series_filter(const std::string& tenant, const std::string& device,
                                           std::span<const std::string> keys) const {
  std::string out = fmt::format("tenant = {} AND device = {}", ch::quote(tenant), ch::quote(device));
  if (keys.empty()) return out;
  out += " AND key IN (";
  for (std::size_t i = 0; i < keys.size(); ++i) out += (i ? ", " : "") + ch::quote(keys[i]);
  return out + ")";
}

Status ClickHouseStore::wait_for_mutations() {
  // ALTER … DELETE is asynchronous in 18.16 (no mutations_sync): poll until every mutation of
  // our tables is done, so reads after delete_* returns never see deleted samples.
  auto deadline = std::chrono::steady_clock::now() + o_.mutation_timeout;
  auto sql = fmt::format(
      "SELECT count() FROM system.mutations WHERE database = {} AND table IN ('samples', 'latest') "
      "AND is_done = 0 FORMAT RowBinary",
      ch::quote(o_.database));
  for (auto pause = std::chrono::milliseconds(2);; pause = std::min(pause * 2, std::chrono::milliseconds(100))) {
    auto body = KAIWU_TRY(query(sql));
    ch::RowReader r(body);
    if (KAIWU_TRY(r.get<std::uint64_t>()) == 0) return ok();
    if (std::chrono::steady_clock::now() > deadline)
      return fail(Errc::kTimeout, "clickhouse: delete mutation still running; it completes in the background");
    std::this_thread::sleep_for(pause);
  }
}

// Rebuilds the latest values of keys from the samples older than `before`.
Status ClickHouseStore::refresh_latest(const std::string& tenant, const std::string& device,
                                       std::span<const std::string> keys, std::int64_t before) {
  auto filter = series_filter(tenant, device, keys);
  KAIWU_TRY(query(fmt::format("ALTER TABLE {} DELETE WHERE {}", table("latest"), filter)));
  KAIWU_TRY_STATUS(wait_for_mutations());
  KAIWU_TRY(query(fmt::format(
      "INSERT INTO {} SELECT tenant, device, key, argMaxState(tuple(ts, type, vf, vi, vb, vs), tuple(ts, ver)) "
      "FROM {} WHERE {} AND ts < {} GROUP BY tenant, device, key",
      table("latest"), table("samples"), filter, before)));
  return ok();
}

Status ClickHouseStore::delete_range(const std::string& tenant, const std::string& device,
                                     std::span<const std::string> keys, std::int64_t from, std::int64_t to) {
  if (from >= to) return ok();
  KAIWU_TRY_STATUS(flush());
  // Which keys' latest values fall in the deleted range (only those need rebuilding).
  auto current = KAIWU_TRY(latest(tenant, device, keys));
  std::vector<std::string> touched;
  for (const auto& lv : current)
    if (lv.sample.ts >= from && lv.sample.ts < to) touched.push_back(lv.key);
  KAIWU_TRY(query(fmt::format("ALTER TABLE {} DELETE WHERE {} AND ts >= {} AND ts < {}", table("samples"),
                              series_filter(tenant, device, keys), from, to)));
  KAIWU_TRY_STATUS(wait_for_mutations());
  if (touched.empty()) return ok();
  return refresh_latest(tenant, device, touched, from);
}

Status ClickHouseStore::delete_device(const std::string& tenant, const std::string& device) {
  KAIWU_TRY_STATUS(flush());
  auto filter = series_filter(tenant, device, {});
  KAIWU_TRY(query(fmt::format("ALTER TABLE {} DELETE WHERE {}", table("samples"), filter)));
  KAIWU_TRY(query(fmt::format("ALTER TABLE {} DELETE WHERE {}", table("latest"), filter)));
  return wait_for_mutations();
}

// ---- retention -------------------------------------------------------------------------------

std::optional<std::int64_t> ClickHouseStore::retention_cutoff(const std::string& tenant) const {
  std::lock_guard lock(retention_mu_);
  auto it = retention_.find(tenant);
  if (it == retention_.end() || it->second <= 0) return std::nullopt;
  return now_ms() - it->second;
}

std::string ClickHouseStore::retention_filter(const std::string& tenant) const {
  auto cutoff = retention_cutoff(tenant);
  return cutoff ? fmt::format(" AND ts >= {}", *cutoff) : std::string();
}

Status ClickHouseStore::set_retention(const std::string& tenant, std::int64_t ttl_ms) {
  if (ttl_ms < 0) return fail(Errc::kInvalidArgument, "retention must not be negative");
  KAIWU_TRY(query(fmt::format("INSERT INTO {} VALUES ({}, {}, {})", table("retention"), ch::quote(tenant), ttl_ms,
                              next_ver_.fetch_add(1))));
  std::lock_guard lock(retention_mu_);
  retention_[tenant] = ttl_ms;
  return ok();
}

Status ClickHouseStore::load_retention() {
  auto body = KAIWU_TRY(query(fmt::format(
      "SELECT tenant, argMax(ttl_ms, ver) FROM {} GROUP BY tenant FORMAT RowBinary", table("retention"))));
  std::map<std::string, std::int64_t> loaded;
  ch::RowReader r(body);
  while (!r.at_end()) {
    auto tenant = KAIWU_TRY(r.get_string());
    loaded[std::move(tenant)] = KAIWU_TRY(r.get<std::int64_t>());
  }
  std::lock_guard lock(retention_mu_);
  retention_ = std::move(loaded);
  return ok();
}

Status ClickHouseStore::drop_expired_partitions(const std::string& tenant, std::int64_t cutoff) {
  auto body = KAIWU_TRY(query(fmt::format(
      "SELECT DISTINCT intDiv(ts, {}) FROM {} WHERE tenant = {} AND ts < {} FORMAT RowBinary", kPartitionMs,
      table("samples"), ch::quote(tenant), cutoff)));
  ch::RowReader r(body);
  while (!r.at_end()) {
    auto period = KAIWU_TRY(r.get<std::int64_t>());
    if (period_end(period) > cutoff) continue;  // partly inside the retention period: reads hide the rest
    KAIWU_TRY(query(fmt::format("ALTER TABLE {} DROP PARTITION ({}, {})", table("samples"), ch::quote(tenant), period)));
  }
  return ok();
}

Status ClickHouseStore::compact() {
  KAIWU_TRY_STATUS(load_retention());
  std::map<std::string, std::int64_t> ttl;
  {
    std::lock_guard lock(retention_mu_);
    ttl = retention_;
  }
  for (const auto& [tenant, ms] : ttl)
    if (ms > 0) KAIWU_TRY_STATUS(drop_expired_partitions(tenant, now_ms() - ms));
  return ok();
}

Result<StoreStats> ClickHouseStore::stats() {
  StoreStats st;
  auto body = KAIWU_TRY(query(fmt::format(
      "SELECT toUInt64(count()), toUInt64(sum(rows)), toUInt64(sum(bytes_on_disk)), toUInt64(sum(data_compressed_bytes)) "
      "FROM system.parts WHERE database = {} AND table = 'samples' AND active FORMAT RowBinary",
      ch::quote(o_.database))));
  ch::RowReader r(body);
  st.chunks = KAIWU_TRY(r.get<std::uint64_t>());
  st.samples = KAIWU_TRY(r.get<std::uint64_t>());
  st.disk_bytes = KAIWU_TRY(r.get<std::uint64_t>());
  st.chunk_bytes = KAIWU_TRY(r.get<std::uint64_t>());
  auto series = KAIWU_TRY(query(fmt::format("SELECT toUInt64(count()) FROM (SELECT tenant, device, key FROM {} GROUP BY tenant, device, key) FORMAT RowBinary", table("latest"))));
  ch::RowReader sr(series);
  st.series = KAIWU_TRY(sr.get<std::uint64_t>());
  {
    std::lock_guard lock(mu_);
    st.head_samples = queued_rows_;
  }
  st.bytes_per_sample = st.samples ? static_cast<double>(st.disk_bytes) / static_cast<double>(st.samples) : 0;
  return st;
}

Result<std::unique_ptr<TelemetryStore>> open_clickhouse(const ClickHouseOptions& options) {
  auto server = parse_http_url(options.url);
  if (!server) return fail(Errc::kInvalidArgument, "tsdb.clickhouse_url: " + server.error().message);
  if (server->target.find('?') != std::string::npos)
    return fail(Errc::kInvalidArgument, "tsdb.clickhouse_url must not carry a query string");
  if (!valid_identifier(options.database))
    return fail(Errc::kInvalidArgument, "tsdb.clickhouse_database must be letters, digits and _ (not first a digit)");
  auto o = options;
  o.connections = std::max<std::size_t>(1, o.connections);
  o.batch_max_rows = std::max<std::size_t>(1, o.batch_max_rows);
  auto store = std::make_unique<ClickHouseStore>(std::move(o), std::move(*server));
  KAIWU_TRY_STATUS(store->init());
  return std::unique_ptr<TelemetryStore>(std::move(store));
}

}  // namespace kaiwu::tsdb
