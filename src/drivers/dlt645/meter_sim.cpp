#include "drivers/dlt645/meter_sim.hpp"

#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

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
