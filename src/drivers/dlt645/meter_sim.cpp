#include "drivers/dlt645/meter_sim.hpp"

#include <boost/asio.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>

#include "drivers/dlt645/data_ids.hpp"

namespace kaiwu::drivers::dlt645 {

namespace {

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

DataId data_id_of(const Frame& f) {
  return static_cast<DataId>(f.data[0]) | static_cast<DataId>(f.data[1]) << 8 |
         static_cast<DataId>(f.data[2]) << 16 | static_cast<DataId>(f.data[3]) << 24;
}

void log_stray(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::warn("dlt645 meter simulator session ended: {}", ex.what());
  }
}

}  // namespace

void MeterSim::add_meter(const Address& address) {
  std::lock_guard lock(mu_);
  meters_[address.bytes];
}

void MeterSim::set_value(const Address& address, DataId id, tsdb::Value value) {
  std::lock_guard lock(mu_);
  meters_[address.bytes][id] = std::move(value);
}

void MeterSim::set_provider(Provider provider) {
  std::lock_guard lock(mu_);
  provider_ = std::move(provider);
}

void MeterSim::set_three_phase(const Address& a, const ThreePhase& t) {
  const double sin_phi = std::sqrt(std::max(0.0, 1.0 - t.power_factor * t.power_factor));
  double p_total = 0, q_total = 0, s_total = 0;
  std::lock_guard lock(mu_);
  auto& m = meters_[a.bytes];
  for (std::uint32_t phase = 1; phase <= 3; ++phase) {
    const double u = t.voltage[phase - 1], i = t.current[phase - 1];
    const double s = u * i / 1000.0, p = s * t.power_factor, q = s * sin_phi;  // kVA, kW, kvar
    p_total += p, q_total += q, s_total += s;
    m[0x02010000 | phase << 8] = std::round(u * 10) / 10;
    m[0x02020000 | phase << 8] = std::round(i * 1000) / 1000;
    m[0x02030000 | phase << 8] = std::round(p * 1e4) / 1e4;
    m[0x02040000 | phase << 8] = std::round(q * 1e4) / 1e4;
    m[0x02050000 | phase << 8] = std::round(s * 1e4) / 1e4;
    m[0x02060000 | phase << 8] = std::round(t.power_factor * 1000) / 1000;
  }
  m[0x02030000] = std::round(p_total * 1e4) / 1e4;
  m[0x02040000] = std::round(q_total * 1e4) / 1e4;
  m[0x02050000] = std::round(s_total * 1e4) / 1e4;
  m[0x02060000] = std::round(t.power_factor * 1000) / 1000;
  m[0x02800002] = std::round(t.frequency * 100) / 100;
  m[0x00010000] = std::round(t.forward_energy * 100) / 100;
  m[0x00020000] = std::round(t.reverse_energy * 100) / 100;
  m[0x00000000] = std::round((t.forward_energy + t.reverse_energy) * 100) / 100;
  if (t.clock_ms) {
    const std::int64_t local_s = *t.clock_ms / 1000 + 8 * 3600;  // China Standard Time
    std::int64_t days = local_s / 86400;
    const std::int64_t secs = local_s % 86400;
    // civil date from days since 1970-01-01
    days += 719468;
    const std::int64_t era = days / 146097, doe = days - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    const std::int64_t d = doy - (153 * mp + 2) / 5 + 1, mo = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = yoe + era * 400 + (mo <= 2);
    m[0x04000101] = fmt::format("{:04}-{:02}-{:02}", y, mo, d);
    m[0x04000102] = fmt::format("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
  }
}

std::optional<tsdb::Value> MeterSim::value(const Address& address, DataId id) const { return lookup(address, id); }

std::optional<tsdb::Value> MeterSim::lookup(const Address& address, DataId id) const {
  Provider provider;
  {
    std::lock_guard lock(mu_);
    auto m = meters_.find(address.bytes);
    if (m == meters_.end()) return std::nullopt;
    if (auto v = m->second.find(id); v != m->second.end()) return v->second;
    provider = provider_;
  }
  if (provider) return provider(address, id);
  return std::nullopt;
}

Frame MeterSim::answer_read(const Address& address, const Frame& request) const {
  if (request.data.size() < 4) return abnormal_response(address, control::kRead, err::kOther);
  const DataId id = data_id_of(request);
  auto value = lookup(address, id);
  auto format = find_format(id);
  if (!value || !format) return abnormal_response(address, control::kRead, err::kNoData);
  Result<std::vector<std::uint8_t>> bytes = fail(Errc::kInternal, "unset");
  if (const auto* text = std::get_if<std::string>(&*value)) {
    bytes = encode_text(*format, *text);
  } else if (const auto* d = std::get_if<double>(&*value)) {
    bytes = encode_value(*format, *d);
  } else if (const auto* i = std::get_if<std::int64_t>(&*value)) {
    bytes = encode_value(*format, static_cast<double>(*i));
  } else {
    bytes = fail(Errc::kInvalidArgument, "bool value");
  }
  if (!bytes) return abnormal_response(address, control::kRead, err::kOther);
  return read_response(address, id, *bytes);
}

Frame MeterSim::answer_write(const Address& address, const Frame& request) {
  // DI(4) PA P0 P1 P2 (4) C0..C3 (4) value
  if (request.data.size() < 12) return abnormal_response(address, control::kWrite, err::kOther);
  const std::uint32_t password = static_cast<std::uint32_t>(request.data[4]) << 24 | request.data[5] |
                                 static_cast<std::uint32_t>(request.data[6]) << 8 |
                                 static_cast<std::uint32_t>(request.data[7]) << 16;
  {
    std::lock_guard lock(mu_);
    if (password != password_) return abnormal_response(address, control::kWrite, err::kUnauthorized);
  }
  const DataId id = data_id_of(request);
  auto format = find_format(id);
  if (!format) return abnormal_response(address, control::kWrite, err::kOther);
  std::span<const std::uint8_t> bytes(request.data.begin() + 12, request.data.end());
  auto v = decode_value(*format, bytes);
  if (!v) return abnormal_response(address, control::kWrite, err::kOther);
  set_value(address, id, std::move(*v));
  return write_ok_response(address);
}

std::optional<Frame> MeterSim::handle(const Frame& request) {
  if (request.from_meter()) return std::nullopt;
  ++requests_;
  if (request.address == kBroadcastAddress) return std::nullopt;  // broadcasts get no reply
  Address target = request.address;
  if (request.address == kWildcardAddress) {
    std::lock_guard lock(mu_);
    if (meters_.size() != 1) return std::nullopt;  // several meters would collide on the bus
    target.bytes = meters_.begin()->first;
  } else {
    std::lock_guard lock(mu_);
    if (!meters_.contains(request.address.bytes)) return std::nullopt;
  }
  switch (request.function()) {
    case control::kRead:
      return answer_read(target, request);
    case control::kReadAddress:
      return read_address_response(target);
    case control::kWrite:
      return answer_write(target, request);
    default:
      return abnormal_response(target, request.function(), err::kOther);
  }
}

std::string MeterSim::feed(std::vector<std::byte>& buffer, std::span<const std::byte> bytes) {
  buffer.insert(buffer.end(), bytes.begin(), bytes.end());
  std::string out;
  for (;;) {
    const Scan s = scan(buffer);
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(s.skip));
    if (s.length == 0) break;
    auto frame = decode(std::span(buffer).first(s.length));
    buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(s.length));
    if (!frame) {
      ++bad_frames_;
      continue;
    }
    if (auto reply = handle(*frame)) out += encode(*reply, preamble_);
  }
  if (buffer.size() > 2 * kMaxFrameSize) buffer.clear();
  return out;
}

asio::awaitable<void> MeterSim::session(std::shared_ptr<asio::ip::tcp::socket> socket) {
  std::vector<std::byte> buffer;
  std::array<std::byte, 512> chunk;
  for (;;) {
    auto [ec, n] = co_await socket->async_read_some(asio::buffer(chunk), kAsTuple);
    if (ec) break;
    const std::string reply = feed(buffer, std::span(chunk).first(n));
    if (reply.empty()) continue;
    auto [wec, w] = co_await asio::async_write(*socket, asio::buffer(reply), kAsTuple);
    if (wec) break;
  }
  sockets_.erase(socket);
}

asio::awaitable<void> MeterSim::serve(asio::ip::tcp::acceptor& acceptor) {
  acceptor_ = &acceptor;
  while (!stopped_) {
    auto [ec, socket] = co_await acceptor.async_accept(kAsTuple);
    if (ec) break;
    auto s = std::make_shared<asio::ip::tcp::socket>(std::move(socket));
    sockets_.insert(s);
    asio::co_spawn(acceptor.get_executor(), session(s), log_stray);
  }
  acceptor_ = nullptr;
}

asio::awaitable<void> MeterSim::serve_stream(asio::posix::stream_descriptor& stream) {
  std::vector<std::byte> buffer;
  std::array<std::byte, 512> chunk;
  while (!stopped_) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(chunk), kAsTuple);
    if (ec) break;
    const std::string reply = feed(buffer, std::span(chunk).first(n));
    if (reply.empty()) continue;
    auto [wec, w] = co_await asio::async_write(stream, asio::buffer(reply), kAsTuple);
    if (wec) break;
  }
}

void MeterSim::stop() {
  stopped_ = true;
  boost::system::error_code ec;
  if (acceptor_) acceptor_->close(ec);
  for (const auto& s : sockets_) s->close(ec);
}

}  // namespace kaiwu::drivers::dlt645
