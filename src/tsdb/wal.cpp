#include "tsdb/wal.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tsdb/encoding.hpp"

namespace kaiwu::tsdb {
namespace fs = std::filesystem;

namespace {
constexpr std::size_t kFrameHeader = 8;                 // u32 length, u32 crc32c
constexpr std::uint32_t kMaxRecord = 256u << 20;        // refuse absurd lengths on replay

Status io_error(const std::string& what) {
  return fail(Errc::kIo, what + ": " + std::strerror(errno));
}

void put_u32(std::string& out, std::uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);
  out.append(b, 4);
}

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}
}  // namespace

Wal::~Wal() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  if (fd_ >= 0) {
    ::fdatasync(fd_);
    ::close(fd_);
  }
}

std::string Wal::segment_path(std::uint64_t number) const {
  char name[32];
  std::snprintf(name, sizeof name, "%012llu.wal", static_cast<unsigned long long>(number));
  return (fs::path(options_.dir) / name).string();
}

Result<std::unique_ptr<Wal>> Wal::open(const WalOptions& options) {
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) return fail(Errc::kIo, "WAL directory " + options.dir + ": " + ec.message());
  std::unique_ptr<Wal> wal(new Wal(options));
  for (const auto& entry : fs::directory_iterator(options.dir, ec)) {
    auto name = entry.path().filename().string();
    if (name.size() != 16 || !name.ends_with(".wal")) continue;
    wal->segments_.push_back({std::stoull(name.substr(0, 12)), 0});
  }
  std::sort(wal->segments_.begin(), wal->segments_.end(),
            [](const Segment& a, const Segment& b) { return a.number < b.number; });
  return wal;
}

Status Wal::open_segment(std::uint64_t number) {
  if (fd_ >= 0) {
    if (::fdatasync(fd_) != 0) return io_error("WAL fdatasync");
    ::close(fd_);
  }
  auto path = segment_path(number);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) return io_error("WAL " + path);
  struct stat st {};
  ::fstat(fd_, &st);
  segment_size_ = static_cast<std::uint64_t>(st.st_size);
  if (segments_.empty() || segments_.back().number != number) segments_.push_back({number, 0});
  fsync_dir(options_.dir);
  return ok();
}

Status Wal::replay(const std::function<Status(std::uint64_t, std::string_view)>& fn) {
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    auto& seg = segments_[i];
    auto path = segment_path(seg.number);
    std::ifstream in(path, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t off = 0;
    bool torn = false;
    while (off < data.size()) {
      if (data.size() - off < kFrameHeader) { torn = true; break; }
      std::uint32_t len, crc;
      std::memcpy(&len, data.data() + off, 4);
      std::memcpy(&crc, data.data() + off + 4, 4);
      if (len > kMaxRecord || data.size() - off - kFrameHeader < len) { torn = true; break; }
      std::string_view payload(data.data() + off + kFrameHeader, len);
      if (enc::crc32c(payload) != crc) { torn = true; break; }
      std::uint64_t seq = next_seq_++;
      seg.max_seq = seq;
      KAIWU_TRY_STATUS(fn(seq, payload));
      off += kFrameHeader + len;
    }
    if (torn) {
      if (i + 1 != segments_.size())
        return fail(Errc::kCorruption, "WAL segment " + path + " is damaged at offset " + std::to_string(off) +
                                           " and is not the newest; refusing to drop the data after it");
      spdlog::warn("WAL {}: cutting a torn record at offset {} ({} bytes never acknowledged)", path, off,
                   data.size() - off);
      if (::truncate(path.c_str(), static_cast<off_t>(off)) != 0) return io_error("truncate " + path);
    }
  }
  durable_seq_ = next_seq_ - 1;
  std::uint64_t number = segments_.empty() ? 1 : segments_.back().number;
  // Start a fresh segment after replay so a segment that was damaged is never appended to.
  if (!segments_.empty()) number += 1;
  KAIWU_TRY_STATUS(open_segment(number));
  if (options_.sync_interval_ms > 0 && !syncer_.joinable()) syncer_ = std::thread([this] { sync_loop(); });
  return ok();
}

Status Wal::roll_if_full() {
  if (segment_size_ < options_.segment_bytes) return ok();
  return open_segment(segments_.back().number + 1);
}

Result<std::uint64_t> Wal::append(std::string_view payload) {
  std::unique_lock lock(mu_);
  if (!failed_) return std::unexpected(failed_.error());
  if (fd_ < 0) return fail(Errc::kInternal, "WAL used before replay()");
  std::uint64_t seq = next_seq_++;
  put_u32(pending_, static_cast<std::uint32_t>(payload.size()));
  put_u32(pending_, enc::crc32c(payload));
  pending_.append(payload);
  pending_max_seq_ = seq;
  while (durable_seq_ < seq) {
    if (!failed_) return std::unexpected(failed_.error());
    if (leader_active_) {
      cv_.wait(lock);
      continue;
    }
    leader_active_ = true;
    std::string batch;
    batch.swap(pending_);
    std::uint64_t batch_max = pending_max_seq_;
    int fd = fd_;
    lock.unlock();
    bool good = write_all(fd, batch.data(), batch.size());
    if (good && options_.sync_each) good = ::fdatasync(fd) == 0;
    int err = errno;
    lock.lock();
    leader_active_ = false;
    if (!good) {
      errno = err;
      failed_ = io_error("WAL write");
      cv_.notify_all();
      return std::unexpected(failed_.error());
    }
    segment_size_ += batch.size();
    segments_.back().max_seq = batch_max;
    durable_seq_ = batch_max;
    if (auto st = roll_if_full(); !st) failed_ = st;
    cv_.notify_all();
  }
  return seq;
}

void Wal::sync_loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(options_.sync_interval_ms));
    if (stop_) break;
    int fd = fd_;
    if (fd >= 0 && !leader_active_) {
      leader_active_ = true;  // keep the fd from being closed by a roll while we sync
      lock.unlock();
      ::fdatasync(fd);
      lock.lock();
      leader_active_ = false;
      cv_.notify_all();
    }
  }
}

Status Wal::remove_below(std::uint64_t seq) {
  std::lock_guard lock(mu_);
  // When everything written so far is covered, start a fresh segment so the current one can go
  // too (otherwise a fully flushed store would keep up to a segment of dead log on disk).
  if (!leader_active_ && fd_ >= 0 && segment_size_ > 0 && durable_seq_ < seq && segments_.back().max_seq < seq)
    KAIWU_TRY_STATUS(open_segment(segments_.back().number + 1));
  while (segments_.size() > 1) {
    const auto& seg = segments_.front();
    if (seg.max_seq >= seq) break;
    auto path = segment_path(seg.number);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return io_error("remove " + path);
    segments_.erase(segments_.begin());
  }
  return ok();
}

std::uint64_t Wal::last_seq() const {
  std::lock_guard lock(mu_);
  return durable_seq_;
}

std::uint64_t Wal::bytes_on_disk() const {
  std::lock_guard lock(mu_);
  std::uint64_t total = 0;
  std::error_code ec;
  for (const auto& seg : segments_) total += fs::file_size(segment_path(seg.number), ec);
  return total;
}

}  // namespace kaiwu::tsdb
