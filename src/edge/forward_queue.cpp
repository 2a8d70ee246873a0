#include "edge/forward_queue.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

namespace kaiwu::edge {
namespace {

namespace fs = std::filesystem;
constexpr std::uint32_t kCursorMagic = 0x4B57'4643;  // "KWFC"
constexpr std::size_t kHeader = 8;

std::array<std::uint32_t, 256> make_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F6'3B78u : c >> 1;  // Castagnoli
    t[i] = c;
  }
  return t;
}

void put32(char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
std::uint32_t get32(const char* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

std::unexpected<Error> io_error(std::string_view what, const std::string& path) {
  return fail(Errc::kIo, fmt::format("forward queue: {} {}: {}", what, path, std::strerror(errno)));
}

bool pread_all(int fd, char* buf, std::size_t n, std::uint64_t offset) {
  while (n > 0) {
    auto r = ::pread(fd, buf, n, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    buf += r;
    n -= static_cast<std::size_t>(r);
    offset += static_cast<std::uint64_t>(r);
  }
  return true;
}

bool write_all(int fd, const char* buf, std::size_t n) {
  while (n > 0) {
    auto r = ::write(fd, buf, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    buf += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// Reads the record at `offset`; nullopt at a clean end, a torn or a corrupt record. The
// record's size on disk is header + payload size.
std::optional<std::string> read_record(int fd, std::uint64_t offset, std::uint64_t file_size) {
  if (offset + kHeader > file_size) return std::nullopt;
  char h[kHeader];
  if (!pread_all(fd, h, kHeader, offset)) return std::nullopt;
  std::uint32_t len = get32(h), crc = get32(h + 4);
  if (len > ForwardQueue::kMaxRecordBytes || offset + kHeader + len > file_size) return std::nullopt;
  std::string payload(len, '\0');
  if (len > 0 && !pread_all(fd, payload.data(), len, offset + kHeader)) return std::nullopt;
  if (crc32c(crc32c(0, std::string_view(h, 4)), payload) != crc) return std::nullopt;
  return payload;
}

std::string segment_name(std::uint64_t base) { return fmt::format("{:020}.seg", base); }

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    (void)::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

std::uint32_t crc32c(std::uint32_t crc, std::string_view bytes) {
  static const auto table = make_table();
  crc = ~crc;
  for (char ch : bytes) crc = table[(crc ^ static_cast<unsigned char>(ch)) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

Result<std::unique_ptr<ForwardQueue>> ForwardQueue::open(QueueOptions options) {
  if (options.dir.empty()) return fail(Errc::kInvalidArgument, "forward queue: no directory");
  if (options.segment_bytes == 0)
    options.segment_bytes = std::clamp<std::uint64_t>(options.max_bytes / 8, 4096, 64u << 20);
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) return fail(Errc::kIo, fmt::format("forward queue: cannot create {}: {}", options.dir, ec.message()));
  std::unique_ptr<ForwardQueue> q(new ForwardQueue(std::move(options)));
  KAIWU_TRY_STATUS(q->recover());
  return q;
}

ForwardQueue::~ForwardQueue() {
  (void)sync();
  if (active_fd_ >= 0) ::close(active_fd_);
  if (cursor_fd_ >= 0) ::close(cursor_fd_);
}

Status ForwardQueue::recover() {
  std::vector<std::pair<std::uint64_t, std::string>> files;
  for (const auto& e : fs::directory_iterator(options_.dir)) {
    auto name = e.path().filename().string();
    if (!name.ends_with(".seg") || name.size() != 24) continue;
    auto digits = name.substr(0, 20);
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    files.emplace_back(std::stoull(digits), e.path().string());
  }
  std::sort(files.begin(), files.end());
  for (const auto& [base, path] : files) {
    int fd = ::open(path.c_str(), O_RDWR);
    if (fd < 0) return io_error("cannot open", path);
    struct stat st {};
    ::fstat(fd, &st);
    auto size = static_cast<std::uint64_t>(st.st_size);
    Segment s{base, 0, 0, path};
    while (auto rec = read_record(fd, s.bytes, size)) {
      ++s.count;
      s.bytes += kHeader + rec->size();
    }
    if (s.bytes < size) {
      spdlog::warn("forward queue: {}: cut {} torn or corrupt bytes after record {}", path, size - s.bytes,
                   base + s.count);
      stats_.recovered_bytes_cut += size - s.bytes;
      if (::ftruncate(fd, static_cast<off_t>(s.bytes)) != 0) {
        ::close(fd);
        return io_error("cannot truncate", path);
      }
      (void)::fsync(fd);
    }
    ::close(fd);
    if (!segments_.empty() && s.base < segments_.back().base + segments_.back().count) {
      spdlog::warn("forward queue: {} overlaps the previous segment; ignored", path);
      continue;
    }
    segments_.push_back(std::move(s));
  }
  // The cursor: the first unacknowledged record.
  std::string cursor_path = options_.dir + "/cursor";
  cursor_fd_ = ::open(cursor_path.c_str(), O_RDWR | O_CREAT, 0644);
  if (cursor_fd_ < 0) return io_error("cannot open", cursor_path);
  char c[16];
  std::uint64_t oldest = segments_.empty() ? 0 : segments_.front().base;
  first_unacked_ = oldest;
  if (pread_all(cursor_fd_, c, sizeof c, 0)) {
    std::uint64_t v = get32(c) | (static_cast<std::uint64_t>(get32(c + 4)) << 32);
    if (get32(c + 12) == kCursorMagic && crc32c(0, std::string_view(c, 8)) == get32(c + 8))
      first_unacked_ = v;
    else
      spdlog::warn("forward queue: {} is corrupt; replaying everything on disk", cursor_path);
  }
  std::uint64_t end = segments_.empty() ? first_unacked_ : segments_.back().base + segments_.back().count;
  first_unacked_ = std::clamp(first_unacked_, std::min(oldest, end), end);
  next_seq_ = end;
  // Drop empty or finished segments but the last, then open (or start) the active one.
  delete_finished();
  while (segments_.size() > 1 && segments_.front().count == 0) {
    fs::remove(segments_.front().path);
    segments_.pop_front();
  }
  KAIWU_TRY_STATUS(open_active(false));
  return write_cursor();
}

Status ForwardQueue::open_active(bool fresh) {
  if (fresh || segments_.empty() || segments_.back().bytes >= options_.segment_bytes) {
    Segment s{next_seq_, 0, 0, options_.dir + "/" + segment_name(next_seq_)};
    segments_.push_back(std::move(s));
  }
  const auto& path = segments_.back().path;
  active_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (active_fd_ < 0) return io_error("cannot open", path);
  fsync_dir(options_.dir);
  return ok();
}

Status ForwardQueue::roll() {
  if (active_fd_ >= 0) {
    (void)::fdatasync(active_fd_);
    ::close(active_fd_);
    active_fd_ = -1;
  }
  return open_active(true);
}

Status ForwardQueue::write_cursor() {
  char c[16];
  put32(c, static_cast<std::uint32_t>(first_unacked_));
  put32(c + 4, static_cast<std::uint32_t>(first_unacked_ >> 32));
  put32(c + 8, crc32c(0, std::string_view(c, 8)));
  put32(c + 12, kCursorMagic);
  if (::pwrite(cursor_fd_, c, sizeof c, 0) != static_cast<ssize_t>(sizeof c))
    return io_error("cannot write", options_.dir + "/cursor");
  dirty_ = true;
  return ok();
}

std::uint64_t ForwardQueue::total_bytes() const {
  std::uint64_t n = 0;
  for (const auto& s : segments_) n += s.bytes;
  return n;
}

void ForwardQueue::delete_finished() {
  while (segments_.size() > 1 && segments_.front().base + segments_.front().count <= first_unacked_) {
    std::error_code ec;
    fs::remove(segments_.front().path, ec);
    segments_.pop_front();
  }
}

void ForwardQueue::enforce_limit() {
  while (segments_.size() > 1 && total_bytes() > options_.max_bytes) {
    const auto& s = segments_.front();
    std::uint64_t end = s.base + s.count;
    if (end > first_unacked_) {
      std::uint64_t lost = end - std::max(first_unacked_, s.base);
      stats_.dropped += lost;
      spdlog::warn("forward queue: over {} bytes: dropped {} unsent records (oldest first)", options_.max_bytes, lost);
      first_unacked_ = end;
    }
    std::error_code ec;
    fs::remove(s.path, ec);
    segments_.pop_front();
    (void)write_cursor();
  }
}

Result<std::uint64_t> ForwardQueue::append(std::string_view payload) {
  if (payload.size() > kMaxRecordBytes)
    return fail(Errc::kInvalidArgument, fmt::format("forward queue: record of {} bytes is too large", payload.size()));
  std::string rec(kHeader + payload.size(), '\0');
  put32(rec.data(), static_cast<std::uint32_t>(payload.size()));
  std::memcpy(rec.data() + kHeader, payload.data(), payload.size());
  put32(rec.data() + 4, crc32c(crc32c(0, std::string_view(rec.data(), 4)), payload));
  std::lock_guard lock(mu_);
  if (segments_.back().count > 0 && segments_.back().bytes + rec.size() > options_.segment_bytes) {
    KAIWU_TRY_STATUS(roll());
    enforce_limit();
  }
  auto& s = segments_.back();
  if (!write_all(active_fd_, rec.data(), rec.size())) {
    // A partial write leaves a torn record: cut it so later appends stay readable.
    (void)::ftruncate(active_fd_, static_cast<off_t>(s.bytes));
    return io_error("cannot append to", s.path);
  }
  s.bytes += rec.size();
  ++s.count;
  ++stats_.appended;
  dirty_ = true;
  return next_seq_++;
}

Status ForwardQueue::sync() {
  int fd = -1, cfd = -1;
  {
    std::lock_guard lock(mu_);
    if (!dirty_) return ok();
    dirty_ = false;
    if (active_fd_ >= 0) fd = ::dup(active_fd_);
    if (cursor_fd_ >= 0) cfd = ::dup(cursor_fd_);
  }
  // Outside the lock: appends go on while the disk flushes.
  bool good = (fd < 0 || ::fdatasync(fd) == 0) && (cfd < 0 || ::fdatasync(cfd) == 0);
  if (fd >= 0) ::close(fd);
  if (cfd >= 0) ::close(cfd);
  if (!good) return io_error("cannot sync", options_.dir);
  return ok();
}

Result<std::vector<QueueRecord>> ForwardQueue::read(std::uint64_t from, std::size_t max_records,
                                                    std::size_t max_bytes) {
  std::lock_guard lock(mu_);
  std::vector<QueueRecord> out;
  std::size_t bytes = 0;
  for (const auto& s : segments_) {
    if (out.size() >= max_records || (bytes >= max_bytes && !out.empty())) break;
    if (s.base + s.count <= from || s.count == 0) continue;
    if (from < s.base) from = s.base;
    int fd = ::open(s.path.c_str(), O_RDONLY);
    if (fd < 0) return io_error("cannot open", s.path);
    std::uint64_t offset = 0, seq = s.base;
    if (read_pos_.base == s.base && read_pos_.seq <= from) {
      offset = read_pos_.offset;
      seq = read_pos_.seq;
    }
    bool good = true;
    while (seq < s.base + s.count && out.size() < max_records && (bytes < max_bytes || out.empty())) {
      auto rec = read_record(fd, offset, s.bytes);
      if (!rec) {
        good = false;
        break;
      }
      offset += kHeader + rec->size();
      if (seq >= from) {
        bytes += rec->size();
        out.push_back({seq, std::move(*rec)});
      }
      ++seq;
    }
    ::close(fd);
    if (!good) return fail(Errc::kCorruption, fmt::format("forward queue: {}: unreadable record {}", s.path, seq));
    read_pos_ = {seq, s.base, offset};
    from = seq;
  }
  return out;
}

Status ForwardQueue::ack_before(std::uint64_t next) {
  std::lock_guard lock(mu_);
  next = std::min(next, next_seq_);
  if (next <= first_unacked_) return ok();
  stats_.acked += next - first_unacked_;
  first_unacked_ = next;
  KAIWU_TRY_STATUS(write_cursor());
  delete_finished();
  return ok();
}

std::uint64_t ForwardQueue::first_unacked() const {
  std::lock_guard lock(mu_);
  return first_unacked_;
}

std::uint64_t ForwardQueue::next_seq() const {
  std::lock_guard lock(mu_);
  return next_seq_;
}

QueueStats ForwardQueue::stats() const {
  std::lock_guard lock(mu_);
  QueueStats s = stats_;
  s.pending = next_seq_ - first_unacked_;
  s.disk_bytes = total_bytes();
  s.segments = segments_.size();
  return s;
}

}  // namespace kaiwu::edge
