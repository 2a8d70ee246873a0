// The engine's write-ahead log: numbered segment files of CRC-framed records with group commit.
// Concurrent append() calls share one write(2) + fdatasync: the first waiter becomes the leader
// and writes everything queued; the others wait for it (LevelDB/RocksDB-style group commit).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/result.hpp"

namespace kaiwu::tsdb {

struct WalOptions {
  std::string dir;
  bool sync_each = true;               // fdatasync before append() returns (durability=fsync)
  std::uint32_t sync_interval_ms = 0;  // >0: a background thread fdatasyncs this often (batch)
  std::uint64_t segment_bytes = 64ull << 20;
};

class Wal {
 public:
  ~Wal();
  // Opens (creating) the log directory. Call replay() before the first append().
  static Result<std::unique_ptr<Wal>> open(const WalOptions& options);

  // Feeds every intact record, oldest first, to fn with its sequence number. A torn or corrupt
  // record at the tail of the newest segment is cut off (it was never acknowledged); corruption
  // anywhere else is kCorruption.
  Status replay(const std::function<Status(std::uint64_t seq, std::string_view payload)>& fn);

  // Appends one record; returns its sequence number once it is durable per the options.
  Result<std::uint64_t> append(std::string_view payload);

  // Deletes closed segments whose records all have sequence numbers below seq.
  Status remove_below(std::uint64_t seq);

  std::uint64_t last_seq() const;
  std::uint64_t bytes_on_disk() const;

 private:
  struct Segment {
    std::uint64_t number;
    std::uint64_t max_seq;  // highest record sequence in it (0: none)
  };
  explicit Wal(WalOptions options) : options_(std::move(options)) {}
  Status open_segment(std::uint64_t number);
  Status roll_if_full();
  std::string segment_path(std::uint64_t number) const;
  void sync_loop();

  WalOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int fd_ = -1;                     // current segment; guarded by mu_ (only the leader writes)
  std::uint64_t segment_size_ = 0;  // guarded by mu_
  std::vector<Segment> segments_;   // oldest first; back() is current; guarded by mu_
  std::string pending_;             // framed records waiting for a leader; guarded by mu_
  std::uint64_t next_seq_ = 1;      // guarded by mu_
  std::uint64_t pending_max_seq_ = 0;
  std::uint64_t durable_seq_ = 0;   // highest sequence written (and synced if sync_each)
  bool leader_active_ = false;
  Status failed_;                   // sticky I/O error: the log refuses further appends
  bool stop_ = false;
  std::thread syncer_;
};

}  // namespace kaiwu::tsdb
