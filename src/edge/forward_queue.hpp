// The edge's on-disk forward queue (store-and-forward): telemetry waits here until the platform
// has acknowledged it, across link outages and a kill -9 of the edge process.
//
// Layout in `dir`: segment files "<first seq, 20 digits>.seg" holding records
//   [u32 length LE][u32 CRC-32C of length bytes + payload, LE][payload]
// appended with write(2) (so a record survives the process dying the moment append returns)
// and fdatasync'ed in groups by sync(); and "cursor" holding the first unacknowledged sequence
// number ([u64 LE][u32 CRC-32C][u32 magic]), rewritten in place on every ack.
//
// Recovery (open): every segment is scanned; a torn or corrupt record ends its segment there
// (the file is truncated to the last good record and the bytes counted). Delivery is at least
// once: records sent but not yet acknowledged when the edge died are sent again.
//
// Bound: past max_bytes the oldest segment is deleted, and its unacknowledged records are
// counted as dropped (oldest data goes first; the newest data is what operators need).
//
// Thread-safe (one mutex); append/read/ack are short syscalls, sync() may take milliseconds.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace kaiwu::edge {

struct QueueOptions {
  std::string dir;
  std::uint64_t max_bytes = 1ull << 30;
  std::uint64_t segment_bytes = 0;  // 0: max_bytes / 8, within 4 KiB..64 MiB
};

struct QueueRecord {
  std::uint64_t seq = 0;
  std::string payload;
};

struct QueueStats {
  std::uint64_t appended = 0;         // since open
  std::uint64_t acked = 0;            // since open
  std::uint64_t dropped = 0;          // unacknowledged records deleted to respect max_bytes
  std::uint64_t recovered_bytes_cut = 0;  // torn / corrupt bytes cut off at open
  std::uint64_t pending = 0;          // unacknowledged records on disk
  std::uint64_t disk_bytes = 0;
  std::uint64_t segments = 0;
};

class ForwardQueue {
 public:
  static constexpr std::uint32_t kMaxRecordBytes = 16u << 20;

  // Creates `dir` if needed and recovers what is there. kIo / kInvalidArgument on failure.
  static Result<std::unique_ptr<ForwardQueue>> open(QueueOptions options);
  ~ForwardQueue();
  ForwardQueue(const ForwardQueue&) = delete;
  ForwardQueue& operator=(const ForwardQueue&) = delete;

  // Appends one record; returns its sequence number. kInvalidArgument past kMaxRecordBytes.
  Result<std::uint64_t> append(std::string_view payload);
  // fdatasync of the active segment and the cursor (group commit: call every ~100 ms).
  Status sync();
  // Up to max_records / about max_bytes records with seq >= from, in order (records that were
  // dropped or lost to corruption are skipped, so seqs may jump).
  Result<std::vector<QueueRecord>> read(std::uint64_t from, std::size_t max_records, std::size_t max_bytes);
  // Everything below `next` is acknowledged; persists the cursor and deletes finished segments.
  Status ack_before(std::uint64_t next);

  std::uint64_t first_unacked() const;
  std::uint64_t next_seq() const;  // seq the next append gets
  QueueStats stats() const;

 private:
  struct Segment {
    std::uint64_t base = 0;
    std::uint64_t count = 0;
    std::uint64_t bytes = 0;
    std::string path;
  };
  struct Position {
    std::uint64_t seq = UINT64_MAX;
    std::uint64_t base = 0;
    std::uint64_t offset = 0;
  };
  explicit ForwardQueue(QueueOptions options) : options_(std::move(options)) {}
  Status recover();
  Status open_active(bool fresh);  // fresh: always start a new segment
  Status roll();
  Status write_cursor();
  void enforce_limit();
  void delete_finished();
  std::uint64_t total_bytes() const;

  QueueOptions options_;
  mutable std::mutex mu_;
  std::deque<Segment> segments_;  // guarded by mu_; back() is the active one
  int active_fd_ = -1;            // guarded by mu_
  int cursor_fd_ = -1;            // guarded by mu_
  std::uint64_t first_unacked_ = 0;  // guarded by mu_
  std::uint64_t next_seq_ = 0;       // guarded by mu_
  bool dirty_ = false;               // guarded by mu_: appended or acked since the last sync
  Position read_pos_;                // guarded by mu_: where the last read stopped
  QueueStats stats_;                 // guarded by mu_
};

std::uint32_t crc32c(std::uint32_t crc, std::string_view bytes);

}  // namespace kaiwu::edge
