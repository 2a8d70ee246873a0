// Internals of the ClickHouse TelemetryStore, shared by clickhouse.cpp (connection, writes,
// deletes, retention) and clickhouse_read.cpp (queries).
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "core/http_client.hpp"
#include "tsdb/clickhouse.hpp"
#include "tsdb/clickhouse_wire.hpp"

namespace kaiwu::tsdb {

// Samples are partitioned by (tenant, ts / kPartitionMs): fixed 30-day periods of the Int64
// millisecond timestamp, so no DateTime conversion can wrap for far-past or far-future values.
inline constexpr std::int64_t kPartitionMs = 30LL * 86'400'000;

// Columns of a sample row, in the order of every INSERT and of every value read back.
inline constexpr std::string_view kSampleColumns = "tenant, device, key, ts, ver, type, vf, vi, vb, vs";
inline constexpr std::string_view kValueTuple = "tuple(type, vf, vi, vb, vs)";

class ClickHouseStore final : public TelemetryStore {
 public:
  explicit ClickHouseStore(ClickHouseOptions o, HttpUrl server);
  ~ClickHouseStore() override;

  Status init();

  Status write(std::span<const Point> points) override;
  Result<std::vector<LatestValue>> latest(const std::string& tenant, const std::string& device,
                                          std::span<const std::string> keys) override;
  Result<std::vector<KeySeries>> range(const RangeQuery& q) override;
  Result<std::vector<KeyBuckets>> aggregate(const AggQuery& q) override;
  Result<std::vector<std::string>> keys(const std::string& tenant, const std::string& device) override;
  Status delete_range(const std::string& tenant, const std::string& device, std::span<const std::string> keys,
                      std::int64_t from, std::int64_t to) override;
  Status delete_device(const std::string& tenant, const std::string& device) override;
  Status set_retention(const std::string& tenant, std::int64_t ttl_ms) override;
  Status compact() override;
  Status flush() override;
  Result<StoreStats> stats() override;

  // Runs one statement (the SQL travels in the POST body); returns the response body.
  Result<std::string> query(std::string_view sql);

 private:
  struct Batch {
    std::string rows;  // RowBinary
    std::size_t count = 0;
    bool done = false;  // guarded by mu_
    Status result;      // guarded by mu_
  };

  std::string table(std::string_view name) const { return db_ + "." + std::string(name); }
  // "tenant = … AND device = …[ AND key IN (…)]"
  std::string series_filter(const std::string& tenant, const std::string& device,
                            std::span<const std::string> keys) const;
  // " AND ts >= cutoff" when the tenant has a retention period, else "".
  std::string retention_filter(const std::string& tenant) const;
  std::optional<std::int64_t> retention_cutoff(const std::string& tenant) const;

  Result<std::string> post(const HttpRequest& request);
  Status insert_rows(HttpClient& client, const std::string& rows);
  Status wait_for_mutations();
  Status refresh_latest(const std::string& tenant, const std::string& device, std::span<const std::string> keys,
                        std::int64_t before);
  Status load_retention();
  Status drop_expired_partitions(const std::string& tenant, std::int64_t cutoff);
  void flusher_loop();

  ClickHouseOptions o_;
  HttpUrl server_;
  std::string db_;  // quoted identifier

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<HttpClient>> idle_;  // guarded by pool_mu_
  std::size_t open_clients_ = 0;                   // guarded by pool_mu_

  std::atomic<std::uint64_t> next_ver_;
  std::mutex mu_;
  std::condition_variable flusher_cv_;
  std::condition_variable done_cv_;
  std::deque<std::shared_ptr<Batch>> pending_;  // guarded by mu_
  std::size_t queued_rows_ = 0;                 // guarded by mu_
  std::size_t in_flight_ = 0;                   // guarded by mu_: batches being inserted
  bool stop_ = false;                           // guarded by mu_
  std::thread flusher_;

  mutable std::mutex retention_mu_;
  std::map<std::string, std::int64_t> retention_;  // guarded by retention_mu_
};

// The Value of a (type, vf, vi, vb, vs) tuple read from r.
Result<Value> read_value(ch::RowReader& r);

}  // namespace kaiwu::tsdb
