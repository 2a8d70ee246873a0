#include "drivers/modbus/client.hpp"

#include <boost/asio.hpp>
#include <fmt/format.h>

#include <array>
#include <charconv>
#include <map>

namespace kaiwu::drivers::modbus {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

constexpr std::string_view kSchema = R"({"type":"object","properties":{
"unit":{"type":"integer","minimum":0,"maximum":255,"default":1,"description":"Modbus unit (slave) id; RTU 0 = broadcast writes"},
"max_gap":{"type":"integer","minimum":0,"maximum":124,"default":10,"description":"unused registers a batched read may span"},
"max_gap_bits":{"type":"integer","minimum":0,"maximum":1999,"default":64},
"max_registers":{"type":"integer","minimum":1,"maximum":125,"default":125},
"max_bits":{"type":"integer","minimum":1,"maximum":2000,"default":2000},
"broadcast_delay_ms":{"type":"integer","minimum":0,"maximum":10000,"default":100},
"pipeline":{"type":"integer","minimum":1,"maximum":16,"default":1,"description":"modbus-tcp: read requests in flight at once"}}})";

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<unsigned> option(const DeviceSettings& s, std::string_view key, unsigned def, unsigned lo, unsigned hi) {
  auto it = s.options.find(key);
  if (it == s.options.end()) return def;
  unsigned v = 0;
  const std::string& text = it->second;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < lo || v > hi)
    return fail(Errc::kInvalidArgument, fmt::format("modbus option {}='{}' must be {}..{}", key, text, lo, hi));
  return v;
}

bool is_serial(std::string_view endpoint) { return endpoint.starts_with("/") || endpoint.starts_with("serial://"); }

// Serial Line V1.02 §2.5.1.1: 3.5 character times between frames (11 bits per character in
// RTU), fixed at 1.75 ms above 19200 baud.
std::chrono::microseconds frame_gap_for(std::string_view endpoint) {
  unsigned baud = 9600;
  if (auto at = endpoint.find("baud="); at != std::string_view::npos) {
    auto rest = endpoint.substr(at + 5);
    std::from_chars(rest.data(), rest.data() + rest.size(), baud);
  }
  if (baud == 0 || baud > 19200) return 1750us;
  return std::chrono::microseconds(3'500'000ull * 11 / baud);
}

bool is_exception(const Error& e) { return e.message.starts_with("modbus exception"); }

bool is_write(Function f) {
  return f == Function::kWriteSingleCoil || f == Function::kWriteSingleRegister ||
         f == Function::kWriteMultipleCoils || f == Function::kWriteMultipleRegisters;
}

}  // namespace

ModbusDriver::ModbusDriver(asio::any_io_executor executor, Framing framing, TransportFactory factory)
    : ex_(executor), framing_(framing), factory_(std::move(factory)), lock_(executor, 1) {}

ModbusDriver::~ModbusDriver() = default;

const DriverInfo& ModbusDriver::info() const { return framing_ == Framing::kTcp ? modbus_tcp_info() : modbus_rtu_info(); }

Result<ModbusDriver::Options> ModbusDriver::parse_options(const DeviceSettings& s) {
  Options o;
  o.unit = static_cast<std::uint8_t>(KAIWU_TRY(option(s, "unit", 1, 0, 255)));
  o.plan.max_gap_registers = static_cast<std::uint16_t>(KAIWU_TRY(option(s, "max_gap", 10, 0, 124)));
  o.plan.max_gap_bits = static_cast<std::uint16_t>(KAIWU_TRY(option(s, "max_gap_bits", 64, 0, 1999)));
  o.plan.max_registers = static_cast<std::uint16_t>(KAIWU_TRY(option(s, "max_registers", kMaxReadRegisters, 1, kMaxReadRegisters)));
  o.plan.max_bits = static_cast<std::uint16_t>(KAIWU_TRY(option(s, "max_bits", kMaxReadBits, 1, kMaxReadBits)));
  o.broadcast_delay = std::chrono::milliseconds(KAIWU_TRY(option(s, "broadcast_delay_ms", 100, 0, 10000)));
  o.pipeline = KAIWU_TRY(option(s, "pipeline", 1, 1, 16));
  return o;
}

Status ModbusDriver::validate(const DeviceSettings& settings, std::span<const PointConfig> points) const {
  auto o = KAIWU_TRY(parse_options(settings));
  if (framing_ == Framing::kTcp && is_serial(settings.endpoint))
    return fail(Errc::kInvalidArgument, "modbus-tcp needs a host:port endpoint; use modbus-rtu for serial lines");
  KAIWU_TRY(make_transport(ex_, settings.endpoint));  // endpoint syntax
  for (const auto& p : points) {
    auto loc = KAIWU_TRY(locate(p));
    if (p.writable && (loc.address.table == Table::kDiscreteInput || loc.address.table == Table::kInputRegister))
      return fail(Errc::kInvalidArgument, fmt::format("point '{}' ({}) is read-only on the device", p.key, p.address));
  }
  if (framing_ == Framing::kRtu && o.unit == kBroadcastUnit && !points.empty()) {
    for (const auto& p : points)
      if (!p.writable) return fail(Errc::kInvalidArgument, fmt::format("point '{}': unit 0 is broadcast, write-only", p.key));
  }
  return ok();
}

asio::awaitable<Status> ModbusDriver::start(DeviceSettings settings) {
  auto o = parse_options(settings);
  if (!o) co_return std::unexpected(o.error());
  auto t = factory_(ex_, settings.endpoint);
  if (!t) co_return std::unexpected(t.error());
  co_await lock();
  struct Guard { ModbusDriver* d; ~Guard() { d->unlock(); } } guard{this};
  options_ = *o;
  serial_ = is_serial(settings.endpoint);
  frame_gap_ = serial_ ? frame_gap_for(settings.endpoint) : 0us;
  transport_ = std::move(*t);
  settings_ = std::move(settings);
  ever_connected_ = false;
  co_return co_await ensure_open();
}

asio::awaitable<void> ModbusDriver::lock() {
  auto [ec] = co_await lock_.async_send(boost::system::error_code{}, kAsTuple);
  (void)ec;
}

void ModbusDriver::unlock() {
  lock_.try_receive([](boost::system::error_code) {});
}

void ModbusDriver::note_error(const Error& e) { health_.last_error = e.message; }

asio::awaitable<Status> ModbusDriver::ensure_open() {
  if (transport_->is_open()) co_return ok();
  rx_.clear();
  auto st = co_await transport_->open(settings_->timeout);
  if (!st) {
    note_error(st.error());
    co_return fail(Errc::kUnavailable, st.error().message);
  }
  if (ever_connected_) ++health_.reconnects;
  ever_connected_ = true;
  co_return ok();
}

asio::awaitable<Result<Response>> ModbusDriver::transact(const Request& request) {
  if (!settings_) co_return fail(Errc::kFailedPrecondition, "modbus driver not started");
  co_await lock();
  struct Guard { ModbusDriver* d; ~Guard() { d->unlock(); } } guard{this};
  co_return co_await transact_locked(request);
}

asio::awaitable<Result<Response>> ModbusDriver::transact_locked(const Request& request) {
  if (!settings_) co_return fail(Errc::kFailedPrecondition, "modbus driver stopped");  // stop() ran while we queued
  auto pdu = encode_request(request);
  if (!pdu) co_return std::unexpected(pdu.error());
  if (framing_ == Framing::kRtu && options_.unit == kBroadcastUnit && !is_write(request.function))
    co_return fail(Errc::kInvalidArgument, "modbus unit 0 is broadcast: writes only (Serial Line V1.02 §2.1)");
  int retries_left = std::max(0, settings_->retries);
  bool reconnected = false;
  for (;;) {
    const bool was_open = transport_->is_open();
    auto r = co_await attempt(request, *pdu);
    if (r) {
      health_.last_success_ms = now_ms();
      co_return r;
    }
    note_error(r.error());
    // Retry what another attempt may fix: silence or a garbled frame (up to `retries` times),
    // and, once, a connection that was up and dropped (the device may have closed an idle
    // link). Exception responses and refused connections are final.
    const Errc code = r.error().code;
    const bool exception = is_exception(r.error());
    const bool lost_link = code == Errc::kUnavailable && !exception && was_open && !transport_->is_open() && !reconnected;
    if (lost_link) {
      reconnected = true;
      continue;
    }
    if ((code == Errc::kTimeout || code == Errc::kCorruption) && retries_left-- > 0) continue;
    co_return r;
  }
}

asio::awaitable<void> ModbusDriver::wait_inter_frame_gap() {
  if (frame_gap_ == 0us) co_return;
  const auto ready = last_io_ + frame_gap_;
  if (Clock::now() < ready) {
    asio::steady_timer t(ex_, ready);
    co_await t.async_wait(kAsTuple);
  }
}

asio::awaitable<Result<Response>> ModbusDriver::attempt(const Request& request, const std::string& pdu) {
  if (auto st = co_await ensure_open(); !st) co_return std::unexpected(st.error());
  std::uint16_t tid = 0;
  std::string frame;
  if (framing_ == Framing::kTcp) {
    tid = next_transaction();
    frame = encode_mbap(tid, options_.unit, pdu);
  } else {
    // Half-duplex line: whatever arrived since the last answer is stale (§2.5.1.1).
    transport_->discard_input();
    rx_.clear();
    co_await wait_inter_frame_gap();
    frame = encode_rtu(options_.unit, pdu);
  }
  ++health_.requests;
  if (auto st = co_await transport_->write(as_bytes(frame)); !st) {
    ++health_.failures;
    co_return fail(Errc::kUnavailable, st.error().message);
  }
  last_io_ = Clock::now();
  if (framing_ == Framing::kRtu && options_.unit == kBroadcastUnit) {  // no reply to a broadcast
    asio::steady_timer t(ex_, options_.broadcast_delay);
    co_await t.async_wait(kAsTuple);
    co_return Response{.function = request.function};
  }
  auto adu = co_await read_frame(tid, Clock::now() + settings_->timeout);
  last_io_ = Clock::now();
  if (!adu) {
    if (adu.error().code == Errc::kTimeout) {
      ++health_.timeouts;
    } else {
      ++health_.failures;
    }
    co_return std::unexpected(adu.error());
  }
  auto response = decode_response(as_bytes(adu->pdu));
  Status checked = response ? check_response(request, *response) : Status(std::unexpected(response.error()));
  if (!checked) {
    ++health_.failures;
    co_return fail(checked.error().code == Errc::kInvalidArgument ? Errc::kCorruption : checked.error().code,
                   checked.error().message);
  }
  if (response->exception) {
    ++health_.failures;
    co_return std::unexpected(exception_error(request.function, *response->exception));
  }
  co_return std::move(*response);
}

std::uint16_t ModbusDriver::next_transaction() {
  const std::uint16_t tid = next_transaction_++;
  if (next_transaction_ == 0) next_transaction_ = 1;
  return tid;
}

// The next complete frame for `transaction` in rx_, if there is one; frames for other
// transactions (late answers to abandoned requests) and other units are dropped.
std::optional<Result<Adu>> ModbusDriver::take_frame(int transaction) {
  const auto data = std::span<const std::byte>(rx_);
  auto size = framing_ == Framing::kTcp ? mbap_frame_size(data) : rtu_frame_size(data, Direction::kResponse);
  if (!size) {
    rx_.clear();
    // MBAP cannot be resynchronised: start again on a fresh connection. RTU input is
    // discarded before the next request anyway.
    if (framing_ == Framing::kTcp) transport_->close();
    return Result<Adu>(std::unexpected(Error{Errc::kCorruption, size.error().message}));
  }
  if (*size == 0 || *size > rx_.size()) return std::nullopt;
  auto adu = framing_ == Framing::kTcp ? decode_mbap(data.first(*size)) : decode_rtu(data.first(*size));
  rx_.erase(rx_.begin(), rx_.begin() + static_cast<std::ptrdiff_t>(*size));
  if (!adu) return Result<Adu>(std::unexpected(Error{Errc::kCorruption, adu.error().message}));
  if (framing_ == Framing::kTcp && transaction >= 0 && adu->transaction != transaction) return take_frame(transaction);
  if (framing_ == Framing::kRtu && adu->unit != options_.unit) return take_frame(transaction);
  return Result<Adu>(std::move(*adu));
}

asio::awaitable<Result<Adu>> ModbusDriver::read_frame(int transaction, Clock::time_point deadline) {
  std::array<std::byte, 512> buf;
  for (;;) {
    if (auto frame = take_frame(transaction)) co_return std::move(*frame);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= 0ms) co_return fail(Errc::kTimeout, fmt::format("no answer from {} within {} ms", transport_->describe(), settings_->timeout.count()));
    auto n = co_await transport_->read_some(buf, left);
    if (!n) {
      if (n.error().code == Errc::kTimeout)
        co_return fail(Errc::kTimeout, fmt::format("no answer from {} within {} ms", transport_->describe(), settings_->timeout.count()));
      co_return std::unexpected(n.error());
    }
    rx_.insert(rx_.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
    if (rx_.size() > 4096) {  // a peer flooding bytes without a frame
      rx_.clear();
      transport_->close();
      co_return fail(Errc::kCorruption, "modbus: no valid frame in 4 KiB of input");
    }
  }
}

asio::awaitable<std::vector<Reading>> ModbusDriver::read(std::span<const PointConfig> points) {
  std::vector<Reading> out(points.size());
  const std::int64_t ts = now_ms();
  for (std::size_t i = 0; i < points.size(); ++i) {
    out[i].key = points[i].key;
    out[i].ts = ts;
    out[i].value = fail(Errc::kFailedPrecondition, "modbus driver not started");
  }
  if (!settings_) co_return out;
  const ReadPlan plan = plan_reads(points, options_.plan);
  for (std::size_t i = 0; i < points.size(); ++i)
    if (plan.errors[i]) out[i].value = std::unexpected(*plan.errors[i]);
  co_await lock();
  struct Guard { ModbusDriver* d; ~Guard() { d->unlock(); } } guard{this};
  if (framing_ == Framing::kTcp && options_.pipeline > 1 && plan.batches.size() > 1) {
    co_await read_pipelined(points, plan, out);
  } else {
    for (const Batch& batch : plan.batches) co_await read_batch(points, plan, batch, out);
  }
  health_.connected = transport_ && transport_->is_open();
  co_return out;
}

asio::awaitable<void> ModbusDriver::read_batch(std::span<const PointConfig> points, const ReadPlan& plan,
                                               const Batch& batch, std::vector<Reading>& out) {
  auto response = co_await transact_locked(read_request(batch));
  if (response) {
    for (std::size_t i : batch.points) out[i].value = extract(points[i], plan.locations[i], batch, *response);
    co_return;
  }
  // An illegal address/value anywhere in a batch fails all of it; read the points one by one
  // so only the points that really are missing report the exception.
  const bool per_point = batch.points.size() > 1 && response.error().code == Errc::kInvalidArgument &&
                         is_exception(response.error());
  if (!per_point) {
    for (std::size_t i : batch.points) out[i].value = std::unexpected(response.error());
    co_return;
  }
  for (std::size_t i : batch.points) {
    const Location& loc = plan.locations[i];
    Batch single{.table = loc.address.table, .start = loc.address.offset, .count = loc.count, .points = {i}};
    co_await read_batch(points, plan, single, out);
  }
}

// Sends up to options_.pipeline read requests back to back and matches the answers by
// transaction id (Messaging on TCP/IP V1.0b §3.1.3 lets a server handle several at once).
// Whatever is not answered cleanly (silence, exception, bad frame) is read again one batch at a
// time through read_batch, which retries and narrows exceptions to points.
asio::awaitable<void> ModbusDriver::read_pipelined(std::span<const PointConfig> points, const ReadPlan& plan,
                                                   std::vector<Reading>& out) {
  if (!settings_) co_return;
  std::vector<bool> done(plan.batches.size(), false);
  for (std::size_t first = 0; first < plan.batches.size(); first += options_.pipeline) {
    if (!co_await ensure_open()) break;
    const std::size_t n = std::min(options_.pipeline, plan.batches.size() - first);
    std::map<std::uint16_t, std::size_t> pending;  // transaction id → batch
    std::string frames;
    for (std::size_t k = first; k < first + n; ++k) {
      auto pdu = encode_request(read_request(plan.batches[k]));
      if (!pdu) continue;
      const std::uint16_t tid = next_transaction();
      pending[tid] = k;
      frames += encode_mbap(tid, options_.unit, *pdu);
    }
    health_.requests += pending.size();
    if (!co_await transport_->write(as_bytes(frames))) break;
    const auto deadline = Clock::now() + settings_->timeout;
    while (!pending.empty()) {
      auto adu = co_await read_frame(-1, deadline);
      if (!adu) {
        ++(adu.error().code == Errc::kTimeout ? health_.timeouts : health_.failures);
        note_error(adu.error());
        break;
      }
      auto it = pending.find(adu->transaction);
      if (it == pending.end()) continue;  // a late answer to an earlier request
      const std::size_t k = it->second;
      pending.erase(it);
      const Batch& batch = plan.batches[k];
      auto response = decode_response(as_bytes(adu->pdu));
      if (!response || !check_response(read_request(batch), *response) || response->exception) continue;
      for (std::size_t i : batch.points) out[i].value = extract(points[i], plan.locations[i], batch, *response);
      health_.last_success_ms = now_ms();
      done[k] = true;
    }
    if (!pending.empty()) break;
  }
  for (std::size_t k = 0; k < plan.batches.size(); ++k)
    if (!done[k]) co_await read_batch(points, plan, plan.batches[k], out);
}

asio::awaitable<Status> ModbusDriver::write(const PointConfig& point, tsdb::Value value) {
  if (!point.writable)
    co_return fail(Errc::kPermissionDenied, fmt::format("point '{}' is not writable", point.key));
  if (!settings_) co_return fail(Errc::kFailedPrecondition, "modbus driver not started");
  auto loc = locate(point);
  if (!loc) co_return std::unexpected(loc.error());
  const Address& a = loc->address;
  if (a.table == Table::kDiscreteInput || a.table == Table::kInputRegister)
    co_return fail(Errc::kPermissionDenied, fmt::format("point '{}' ({}) is read-only on the device", point.key, point.address));
  Request request{.address = a.offset};
  if (a.table == Table::kCoil || a.bit) {
    auto raw = to_raw(point, value);
    if (!raw) co_return std::unexpected(raw.error());
    const bool on = std::get<bool>(*raw);
    if (a.bit) co_return co_await write_bit_in_register(*loc, on);
    request.function = Function::kWriteSingleCoil;  // §6.5
    request.bits = {on};
  } else {
    auto regs = registers_for(point, *loc, value);
    if (!regs) co_return std::unexpected(regs.error());
    // §6.6 for one register, §6.12 for several.
    request.function = regs->size() == 1 ? Function::kWriteSingleRegister : Function::kWriteMultipleRegisters;
    request.registers = std::move(*regs);
  }
  auto r = co_await transact(request);
  if (!r) co_return std::unexpected(r.error());
  co_return ok();
}

// A bool point on bit B of a holding register: read the register, change the bit, write it
// back (FC 3 then FC 6), under one hold of the lock so no other request of ours interleaves.
asio::awaitable<Status> ModbusDriver::write_bit_in_register(const Location& loc, bool on) {
  co_await lock();
  struct Guard { ModbusDriver* d; ~Guard() { d->unlock(); } } guard{this};
  Request read_reg{.function = Function::kReadHoldingRegisters, .address = loc.address.offset, .quantity = 1};
  auto current = co_await transact_locked(read_reg);
  if (!current) co_return std::unexpected(current.error());
  std::uint16_t reg = current->registers.at(0);
  const auto mask = static_cast<std::uint16_t>(1u << *loc.address.bit);
  reg = on ? static_cast<std::uint16_t>(reg | mask) : static_cast<std::uint16_t>(reg & ~mask);
  Request write_reg{.function = Function::kWriteSingleRegister, .address = loc.address.offset};
  write_reg.registers.push_back(reg);
  auto r = co_await transact_locked(write_reg);
  if (!r) co_return std::unexpected(r.error());
  co_return ok();
}

asio::awaitable<void> ModbusDriver::stop() {
  if (!transport_) co_return;
  co_await lock();  // waits for the request in flight
  if (transport_) transport_->close();
  health_.connected = false;
  settings_.reset();  // read/write now fail with kFailedPrecondition until start()
  unlock();
}

Health ModbusDriver::health() const {
  Health h = health_;
  h.connected = transport_ && transport_->is_open();
  return h;
}

const DriverInfo& modbus_tcp_info() {
  static const DriverInfo info{.name = "modbus-tcp", .version = "1.0",
                               .description = "Modbus TCP client (MBAP), function codes 1-6, 15, 16, 23",
                               .settings_schema = std::string(kSchema), .can_subscribe = false};
  return info;
}

const DriverInfo& modbus_rtu_info() {
  static const DriverInfo info{.name = "modbus-rtu", .version = "1.0",
                               .description = "Modbus RTU client over a serial line or TCP (tcp://host:port)",
                               .settings_schema = std::string(kSchema), .can_subscribe = false};
  return info;
}

std::unique_ptr<Driver> make_modbus_tcp(asio::any_io_executor executor) {
  return std::make_unique<ModbusDriver>(executor, Framing::kTcp);
}

std::unique_ptr<Driver> make_modbus_rtu(asio::any_io_executor executor) {
  return std::make_unique<ModbusDriver>(executor, Framing::kRtu);
}

}  // namespace kaiwu::drivers::modbus
