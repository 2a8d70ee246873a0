// `kaiwu bench mqtt`: an MQTT 3.1.1 load generator (one io_context thread, callbacks).
// N connections CONNECT, then each keeps up to K QoS 1 PUBLISHes unacknowledged (pipelined) and
// counts PUBACKs; or, with --idle, stays connected without traffic for S seconds. Packets are
// built and parsed with the sans-I/O codec (mqtt/codec.hpp). Prints one JSON object on stdout;
// progress ("ready <connected>") goes to stderr.
#include <sys/resource.h>

#include <boost/asio.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

#include "cli/commands.hpp"
#include "mqtt/codec.hpp"

namespace kaiwu::cli {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void raise_nofile_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

struct Bench;

struct Conn {
  Conn(Bench& b, std::size_t i);
  void start();
  void on_connected();
  void read_more();
  bool handle_frames();
  void fill();
  void flush();
  void fail(const std::string& why);

  Bench& bench;
  std::size_t index;
  tcp::socket socket;
  std::vector<std::uint8_t> rbuf;
  std::size_t rlen = 0;
  std::string wbuf;     // being written
  std::string pending;  // queued behind it
  bool writing = false;
  bool connected = false;
  bool dead = false;
  std::uint32_t inflight = 0;
  std::uint16_t next_id = 1;
  std::uint64_t pending_msgs = 0;  // PUBLISHes in `pending` / in `wbuf` (QoS 0 accounting)
  std::uint64_t writing_msgs = 0;
};

struct Bench {
  explicit Bench(const BenchMqttOptions& o) : opt(o), timer(ioc) {}

  asio::io_context ioc;  // first: destroyed last
  BenchMqttOptions opt;
  tcp::endpoint endpoint;
  std::vector<std::string> tokens;
  std::vector<std::unique_ptr<Conn>> conns;
  asio::steady_timer timer;

  std::size_t next_to_open = 0;
  std::size_t opening = 0;  // connects without CONNACK yet
  std::size_t connected = 0;
  std::size_t failed = 0;
  std::size_t dropped = 0;  // closed by the server after CONNACK
  std::string first_error;

  bool running = false;
  bool stopped = false;
  std::uint64_t sent = 0;
  std::uint64_t acked = 0;
  Clock::time_point t0, t1;
  double cpu0 = 0, cpu1 = 0;

  static constexpr std::size_t kConnectWindow = 64;

  void open_more() {
    while (opening < kConnectWindow && next_to_open < conns.size()) {
      ++opening;
      conns[next_to_open++]->start();
    }
    if (opening == 0 && next_to_open == conns.size()) all_connected();
  }

  void connect_done(bool ok) {
    --opening;
    ok ? ++connected : ++failed;
    open_more();
  }

  void all_connected() {
    if (running || stopped) return;
    std::cerr << "ready " << connected << std::endl;
    running = true;
    t0 = Clock::now();
    cpu0 = cpu_seconds();
    timer.expires_after(std::chrono::milliseconds(static_cast<long>(opt.duration_s * 1000)));
    timer.async_wait([this](boost::system::error_code ec) {
      if (!ec) stop();
    });
    if (!opt.idle)
      for (auto& c : conns)
        if (c->connected && !c->dead) c->fill();
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    t1 = Clock::now();
    cpu1 = cpu_seconds();
    timer.cancel();
    for (auto& c : conns) {
      boost::system::error_code ec;
      c->socket.close(ec);
    }
    ioc.stop();
  }

  void note_error(const std::string& why) {
    if (first_error.empty()) first_error = why;
  }

  bool want_more() const { return running && !stopped && (opt.messages == 0 || sent < opt.messages); }

  std::string payload(std::uint64_t n) const {
    std::string p = "{\"v\":" + std::to_string(n);
    if (p.size() + 1 < opt.payload_bytes) p.append(opt.payload_bytes - p.size() - 1, ' ');
    p += '}';
    return p;
  }
};

Conn::Conn(Bench& b, std::size_t i) : bench(b), index(i), socket(b.ioc), rbuf(64 * 1024) {}

void Conn::start() {
  socket.async_connect(bench.endpoint, [this](boost::system::error_code ec) {
    if (ec) return fail("connect: " + ec.message());
    socket.set_option(tcp::no_delay(true));
    mqtt::Connect c;
    c.version = mqtt::Version::k311;
    c.clean_start = true;
    c.keep_alive = 0;
    c.client_id = "kaiwu-bench-" + std::to_string(::getpid()) + "-" + std::to_string(index);
    if (!bench.tokens.empty()) {
      c.username = bench.tokens[index % bench.tokens.size()];
    } else if (!bench.opt.username.empty()) {
      c.username = bench.opt.username;
      if (!bench.opt.password.empty()) c.password = bench.opt.password;
    }
    pending += mqtt::encode(c, mqtt::Version::k311);
    flush();
    read_more();
  });
}

void Conn::fail(const std::string& why) {
  if (dead) return;
  dead = true;
  boost::system::error_code ec;
  socket.close(ec);
  if (bench.stopped) return;
  bench.note_error(why);
  if (!connected) {
    bench.connect_done(false);
  } else {
    ++bench.dropped;
  }
}

void Conn::read_more() {
  if (rlen == rbuf.size()) rbuf.resize(rbuf.size() * 2);
  socket.async_read_some(asio::buffer(rbuf.data() + rlen, rbuf.size() - rlen),
                         [this](boost::system::error_code ec, std::size_t n) {
                           if (ec) return fail(connected ? "read: " + ec.message() : "before CONNACK: " + ec.message());
                           rlen += n;
                           if (!handle_frames()) return;
                           read_more();
                         });
}

bool Conn::handle_frames() {
  std::size_t off = 0;
  bool acks = false;
  while (true) {
    std::span<const std::uint8_t> rest(rbuf.data() + off, rlen - off);
    auto hdr = mqtt::peek_frame(rest);
    if (!hdr) {
      fail("bad frame: " + hdr.error().message);
      return false;
    }
    if (!*hdr || (*hdr)->frame_size() > rest.size()) break;
    auto frame = rest.first((*hdr)->frame_size());
    off += frame.size();
    auto type = (*hdr)->type();
    if (type == mqtt::PacketType::kPuback) {
      auto p = mqtt::decode(frame, mqtt::Version::k311);
      if (!p) {
        fail("bad PUBACK: " + p.error().message);
        return false;
      }
      if (inflight > 0) --inflight;
      if (bench.running && !bench.stopped) {
        ++bench.acked;
        acks = true;
      }
    } else if (type == mqtt::PacketType::kConnack) {
      auto p = mqtt::decode(frame, mqtt::Version::k311);
      if (!p || std::get<mqtt::Connack>(*p).reason != mqtt::ReasonCode::kSuccess) {
        fail(p ? "CONNACK refused: " + std::string(mqtt::reason_code_name(std::get<mqtt::Connack>(*p).reason))
               : "bad CONNACK");
        return false;
      }
      if (!connected) {
        connected = true;
        bench.connect_done(true);
        if (dead) return false;
        if (bench.running && !bench.opt.idle) fill();
      }
    }
  }
  if (off > 0) {
    std::copy(rbuf.begin() + static_cast<std::ptrdiff_t>(off), rbuf.begin() + static_cast<std::ptrdiff_t>(rlen), rbuf.begin());
    rlen -= off;
  }
  if (acks) {
    if (bench.opt.messages != 0 && bench.acked >= bench.opt.messages) {
      bench.stop();
      return false;
    }
    fill();
  }
  return true;
}

void Conn::fill() {
  if (dead) return;
  mqtt::Publish p;
  p.qos = bench.opt.qos == 1 ? mqtt::QoS::k1 : mqtt::QoS::k0;
  p.topic = bench.tokens.empty() ? bench.opt.topic : std::string("v1/devices/me/telemetry");
  const std::uint32_t window = std::max<std::uint32_t>(1, bench.opt.inflight);
  std::uint32_t added = 0;
  while (bench.want_more() && inflight < window && (bench.opt.qos == 1 || added < window)) {
    if (p.qos == mqtt::QoS::k1) {
      p.packet_id = next_id;
      next_id = next_id == 65535 ? 1 : static_cast<std::uint16_t>(next_id + 1);
      ++inflight;
    }
    p.payload = bench.payload(bench.sent++);
    pending += mqtt::encode(p, mqtt::Version::k311);
    ++pending_msgs;
    ++added;
  }
  flush();
}

void Conn::flush() {
  if (writing || dead || pending.empty()) return;
  writing = true;
  wbuf.swap(pending);
  pending.clear();
  writing_msgs = pending_msgs;
  pending_msgs = 0;
  asio::async_write(socket, asio::buffer(wbuf), [this](boost::system::error_code ec, std::size_t) {
    writing = false;
    if (ec) return fail("write: " + ec.message());
    wbuf.clear();
    if (bench.opt.qos == 0 && bench.running && !bench.stopped) {
      // QoS 0 has no acknowledgement: a message counts once written, and the next batch follows.
      bench.acked += writing_msgs;
      if (bench.opt.messages != 0 && bench.acked >= bench.opt.messages) return bench.stop();
      fill();
      return;
    }
    flush();
  });
}

}  // namespace

int run_bench_mqtt(const BenchMqttOptions& options) {
  raise_nofile_limit();
  Bench b(options);
  if (options.qos > 1) {
    std::cerr << "--qos must be 0 or 1\n";
    return 2;
  }
  if (!options.token_file.empty()) {
    std::ifstream in(options.token_file);
    for (std::string line; std::getline(in, line);) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (!line.empty()) b.tokens.push_back(line);
    }
    if (b.tokens.empty()) {
      std::cerr << "no tokens in " << options.token_file << "\n";
      return 2;
    }
  }
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(options.host, ec);
  if (ec) {
    std::cerr << "bad --host: " << ec.message() << "\n";
    return 2;
  }
  b.endpoint = tcp::endpoint(addr, options.port);
  b.conns.reserve(options.connections);
  for (std::size_t i = 0; i < options.connections; ++i) b.conns.push_back(std::make_unique<Conn>(b, i));
  asio::post(b.ioc, [&b] { b.open_more(); });
  b.ioc.run();
  if (!b.stopped) b.stop();

  const double seconds = b.running ? std::chrono::duration<double>(b.t1 - b.t0).count() : 0.0;
  char line[1024];
  if (options.idle) {
    std::snprintf(line, sizeof line,
                  "{\"mode\":\"idle\",\"connections\":%zu,\"connected\":%zu,\"failed\":%zu,\"dropped\":%zu,"
                  "\"seconds\":%.3f,\"client_cpu_s\":%.3f",
                  options.connections, b.connected, b.failed, b.dropped, seconds, b.cpu1 - b.cpu0);
  } else {
    std::snprintf(line, sizeof line,
                  "{\"mode\":\"load\",\"connections\":%zu,\"connected\":%zu,\"failed\":%zu,\"dropped\":%zu,"
                  "\"qos\":%u,\"payload_bytes\":%zu,\"inflight\":%u,\"messages_sent\":%llu,\"messages_acked\":%llu,"
                  "\"seconds\":%.3f,\"rate_per_s\":%.1f,\"client_cpu_s\":%.3f",
                  options.connections, b.connected, b.failed, b.dropped, options.qos, options.payload_bytes,
                  options.inflight, static_cast<unsigned long long>(b.sent),
                  static_cast<unsigned long long>(b.acked), seconds,
                  seconds > 0 ? static_cast<double>(b.acked) / seconds : 0.0, b.cpu1 - b.cpu0);
  }
  std::string out = line;
  if (!b.first_error.empty()) {
    std::string e;
    for (char ch : b.first_error)
      if (ch != '"' && ch != '\\' && static_cast<unsigned char>(ch) >= 0x20) e += ch;
    out += ",\"first_error\":\"" + e + "\"";
  }
  out += "}";
  std::cout << out << std::endl;
  return b.connected > 0 ? 0 : 1;
}

}  // namespace kaiwu::cli
