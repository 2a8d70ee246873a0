#include "drivers/dlt645/driver.hpp"

#include <boost/asio.hpp>
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <map>
#include <optional>

#include "drivers/dlt645/data_ids.hpp"

namespace kaiwu::drivers::dlt645 {

namespace {

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint8_t kMaxFollowUps = 16;  // bounds a value spread over follow-up frames

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::span<const std::byte> as_bytes(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

Result<std::uint32_t> parse_hex32(std::string_view key, std::string_view text) {
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 16);
  if (text.size() != 8 || ec != std::errc() || p != text.data() + text.size())
    return fail(Errc::kInvalidArgument, fmt::format("dlt645 option {}='{}' must be 8 hex digits", key, text));
  return v;
}

std::optional<std::string_view> option(const DeviceSettings& s, std::string_view key) {
  auto it = s.options.find(key);
  if (it == s.options.end()) return std::nullopt;
  return std::string_view(it->second);
}

const DriverInfo kInfo{
    "dlt645", "1.0",
    "DL/T 645-2007 electricity meters over RS-485 or transparent TCP (read by data identifier)",
    R"({"type":"object","required":["meter_address"],"properties":{)"
    R"("meter_address":{"type":"string","pattern":"^([0-9]{1,12}|[Aa]{12})$","description":"12-digit meter address"},)"
    R"("preamble":{"type":"string","enum":["0","1","2","3","4"],"default":"4"},)"
    R"("password":{"type":"string","pattern":"^[0-9A-Fa-f]{8}$","default":"02000000"},)"
    R"("operator":{"type":"string","pattern":"^[0-9A-Fa-f]{8}$","default":"00000000"},)"
    R"("block_read":{"type":"string","enum":["true","false"],"default":"false",)"
    R"("description":"read the points of one block (phases, tariffs) with one FF identifier"}}})",
    false};

}  // namespace

Dlt645Driver::Dlt645Driver(asio::any_io_executor executor) : ex_(executor), line_(executor, 1) {}

Dlt645Driver::Dlt645Driver(asio::any_io_executor executor, std::unique_ptr<Transport> transport)
    : ex_(executor), transport_(std::move(transport)), injected_transport_(true), line_(executor, 1) {}

const DriverInfo& Dlt645Driver::info() const { return kInfo; }

Status Dlt645Driver::validate(const DeviceSettings& settings, std::span<const PointConfig> points) const {
  auto addr = option(settings, "meter_address");
  if (!addr) return fail(Errc::kInvalidArgument, "dlt645 device '" + settings.name + "' needs option meter_address");
  KAIWU_TRY(parse_address(*addr));
  if (auto p = option(settings, "preamble"); p && (p->size() != 1 || (*p)[0] < '0' || (*p)[0] > '4'))
    return fail(Errc::kInvalidArgument, "dlt645 option preamble must be 0-4");
  if (auto p = option(settings, "password")) KAIWU_TRY(parse_hex32("password", *p));
  if (auto p = option(settings, "operator")) KAIWU_TRY(parse_hex32("operator", *p));
  for (const auto& point : points) {
    auto id = parse_data_id(point.address);
    if (!id) return fail(Errc::kInvalidArgument, fmt::format("point '{}': {}", point.key, id.error().message));
    if (point.writable && !find_format(*id))
      return fail(Errc::kInvalidArgument,
                  fmt::format("point '{}': writing {} needs a known data format", point.key, point.address));
  }
  return ok();
}

asio::awaitable<Status> Dlt645Driver::start(DeviceSettings settings) {
  if (auto v = validate(settings, {}); !v) co_return v;
  settings_ = std::move(settings);
  address_ = *parse_address(*option(settings_, "meter_address"));
  if (auto p = option(settings_, "preamble")) preamble_ = static_cast<std::size_t>((*p)[0] - '0');
  if (auto p = option(settings_, "password")) password_ = *parse_hex32("password", *p);
  if (auto p = option(settings_, "operator")) operator_ = *parse_hex32("operator", *p);
  auto block = option(settings_, "block_read");
  block_reads_ = block && *block == "true";
  if (!injected_transport_) {
    auto t = make_transport(ex_, settings_.endpoint);
    if (!t) co_return std::unexpected(t.error());
    transport_ = std::move(*t);
  }
  auto st = co_await transport_->open(settings_.timeout);
  if (!st) {
    health_.last_error = st.error().message;
    co_return st;
  }
  ever_opened_ = true;
  health_.connected = true;
  co_return ok();
}

Status Dlt645Driver::note(const Status& s) {
  if (s) {
    health_.last_success_ms = now_ms();
  } else {
    health_.last_error = s.error().message;
    if (s.error().code == Errc::kTimeout) {
      ++health_.timeouts;
    } else {
      ++health_.failures;
    }
  }
  health_.connected = transport_ && transport_->is_open();
  return s;
}

asio::awaitable<Result<Frame>> Dlt645Driver::exchange_once(const Frame& request) {
  if (!transport_) co_return fail(Errc::kFailedPrecondition, "dlt645 driver not started");
  if (!transport_->is_open()) {
    auto st = co_await transport_->open(settings_.timeout);
    if (!st) co_return std::unexpected(st.error());
    if (ever_opened_) ++health_.reconnects;
    ever_opened_ = true;
  }
  transport_->discard_input();
  ++health_.requests;
  const std::string bytes = encode(request, preamble_);
  auto wst = co_await transport_->write(as_bytes(bytes));
  if (!wst) co_return std::unexpected(wst.error());

  const auto deadline = std::chrono::steady_clock::now() + settings_.timeout;
  std::vector<std::byte> rx;
  std::array<std::byte, 256> chunk;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      co_return fail(Errc::kTimeout, fmt::format("meter {} did not answer within {} ms", address_text(address_),
                                                 settings_.timeout.count()));
    auto n = co_await transport_->read_some(chunk, left);
    if (!n) co_return std::unexpected(n.error());
    rx.insert(rx.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(*n));
    for (;;) {
      const Scan s = scan(rx);
      rx.erase(rx.begin(), rx.begin() + static_cast<std::ptrdiff_t>(s.skip));
      if (s.length == 0) break;
      auto frame = decode(std::span(rx).first(s.length));
      rx.erase(rx.begin(), rx.begin() + static_cast<std::ptrdiff_t>(s.length));
      if (!frame) co_return std::unexpected(frame.error());
      // On a two-wire bus the master hears its own request, and other meters' replies.
      if (!frame->from_meter()) continue;
      if (request.address != kWildcardAddress && frame->address != request.address) continue;
      co_return std::move(*frame);
    }
    if (rx.size() > 2 * kMaxFrameSize) rx.erase(rx.begin(), rx.end() - static_cast<std::ptrdiff_t>(kMaxFrameSize));
  }
}

asio::awaitable<Result<Frame>> Dlt645Driver::transact(const Frame& request) {
  // Hold the line for the whole exchange, retries included.
  co_await line_.async_send(boost::system::error_code{}, kAsTuple);
  Result<Frame> r = fail(Errc::kInternal, "no attempt");
  for (int attempt = 0; attempt <= std::max(0, settings_.retries); ++attempt) {
    r = co_await exchange_once(request);
    if (r) break;
    note(std::unexpected(r.error()));
    const Errc code = r.error().code;
    if (code == Errc::kUnavailable && transport_) transport_->close();
    if (code != Errc::kTimeout && code != Errc::kInvalidArgument && code != Errc::kUnavailable) break;
  }
  line_.try_receive([](boost::system::error_code) {});
  health_.connected = transport_ && transport_->is_open();
  co_return r;
}

asio::awaitable<Result<std::vector<std::uint8_t>>> Dlt645Driver::read_bytes(DataId id, std::string_view what) {
  auto frame = co_await transact(read_request(address_, id));
  if (!frame) co_return std::unexpected(frame.error());
  auto response = parse_read_response(*frame, id);
  if (!response) {
    note(std::unexpected(response.error()));
    co_return std::unexpected(response.error());
  }
  // D5 set: the rest comes in follow-up frames, asked for with 12H and a sequence number.
  for (std::uint8_t seq = 1; response->follows; ++seq) {
    if (seq > kMaxFollowUps) {
      auto e = fail(Errc::kResourceExhausted, fmt::format("meter sent more than {} follow-up frames for {}",
                                                          kMaxFollowUps, what));
      note(std::unexpected(e.error()));
      co_return e;
    }
    auto next = co_await transact(read_follow_request(address_, id, seq));
    if (!next) co_return std::unexpected(next.error());
    auto more = parse_read_response(*next, id);
    if (!more) {
      note(std::unexpected(more.error()));
      co_return std::unexpected(more.error());
    }
    response->value.insert(response->value.end(), more->value.begin(), more->value.end());
    response->follows = more->follows;
  }
  co_return std::move(response->value);
}

asio::awaitable<Result<tsdb::Value>> Dlt645Driver::read_point(const PointConfig& point) {
  auto id = parse_data_id(point.address);
  if (!id) co_return std::unexpected(id.error());
  auto bytes = co_await read_bytes(*id, point.address);
  if (!bytes) co_return std::unexpected(bytes.error());
  Result<tsdb::Value> raw = fail(Errc::kInternal, "unset");
  if (auto format = find_format(*id)) {
    raw = decode_value(*format, *bytes);
  } else {  // not in the table: the value's BCD digits as an integer, scaled by the point
    auto v = decode_bcd(*bytes);
    if (v) raw = tsdb::Value(static_cast<std::int64_t>(*v));
    else raw = std::unexpected(v.error());
  }
  if (!raw) {
    note(std::unexpected(raw.error()));
    co_return fail(raw.error().code, fmt::format("point '{}' ({}): {}", point.key, point.address, raw.error().message));
  }
  note(ok());
  co_return to_engineering(point, *raw);
}

asio::awaitable<std::vector<Reading>> Dlt645Driver::read(std::span<const PointConfig> points) {
  // block_read = true: two or more points of one block (phases A-C, tariffs) in one request
  // for the FF identifier (附录A), decoded into its elements; on any error, one by one.
  std::vector<std::optional<Result<tsdb::Value>>> values(points.size());
  if (block_reads_) {
    std::map<DataId, std::vector<std::size_t>> groups;
    for (std::size_t i = 0; i < points.size(); ++i)
      if (auto id = parse_data_id(points[i].address))
        if (auto block = block_of(*id)) groups[*block].push_back(i);
    for (const auto& [block, index] : groups) {
      if (index.size() < 2) continue;
      auto bytes = co_await read_bytes(block, data_id_text(block));
      if (!bytes) continue;
      auto items = decode_block(block, *bytes);
      if (!items) continue;
      for (auto i : index)
        for (const auto& item : *items)
          if (item.format.id == *parse_data_id(points[i].address)) values[i] = to_engineering(points[i], item.value);
    }
  }
  std::vector<Reading> out;
  out.reserve(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (!values[i]) values[i] = co_await read_point(points[i]);
    out.push_back(Reading{points[i].key, now_ms(), std::move(*values[i])});
  }
  co_return out;
}

asio::awaitable<Status> Dlt645Driver::write(const PointConfig& point, tsdb::Value value) {
  if (!point.writable) co_return fail(Errc::kPermissionDenied, fmt::format("point '{}' is not writable", point.key));
  auto id = parse_data_id(point.address);
  if (!id) co_return std::unexpected(id.error());
  auto format = find_format(*id);
  if (!format) co_return fail(Errc::kInvalidArgument, fmt::format("point '{}': unknown data format", point.key));
  Result<std::vector<std::uint8_t>> bytes = fail(Errc::kInternal, "unset");
  if (format->kind == ValueKind::kNumber) {
    auto raw = to_raw(point, value);
    if (!raw) co_return std::unexpected(raw.error());
    const double d = std::holds_alternative<double>(*raw) ? std::get<double>(*raw)
                     : std::holds_alternative<std::int64_t>(*raw) ? static_cast<double>(std::get<std::int64_t>(*raw))
                                                                  : std::nan("");
    bytes = encode_value(*format, d);
  } else if (auto* text = std::get_if<std::string>(&value)) {
    bytes = encode_text(*format, *text);
  } else {
    bytes = fail(Errc::kInvalidArgument, fmt::format("point '{}' takes text", point.key));
  }
  if (!bytes) co_return std::unexpected(bytes.error());
  auto frame = co_await transact(write_request(address_, *id, password_, operator_, *bytes));
  if (!frame) co_return std::unexpected(frame.error());
  if (frame->function() != control::kWrite)
    co_return note(fail(Errc::kInvalidArgument, fmt::format("write answered with control code {:02X}H", frame->control)));
  if (frame->abnormal()) {
    const std::uint8_t word = frame->data.empty() ? 0 : frame->data[0];
    const Errc code = (word & err::kUnauthorized) ? Errc::kPermissionDenied : Errc::kFailedPrecondition;
    co_return note(fail(code, fmt::format("meter refused writing {}: {} (ERR={:02X}H)", point.address,
                                          describe_error_word(word), word)));
  }
  co_return note(ok());
}

asio::awaitable<void> Dlt645Driver::stop() {
  // Wait for the exchange in flight, then close the line.
  co_await line_.async_send(boost::system::error_code{}, kAsTuple);
  if (transport_) transport_->close();
  health_.connected = false;
  line_.try_receive([](boost::system::error_code) {});
}

Health Dlt645Driver::health() const { return health_; }

std::unique_ptr<Driver> make_dlt645_driver(asio::any_io_executor executor) {
  return std::make_unique<Dlt645Driver>(executor);
}

}  // namespace kaiwu::drivers::dlt645
