// Peer runners of bench_tsdb: process control, a small blocking HTTP client (Boost.Beast),
// line-protocol rendering and the InfluxDB / VictoriaMetrics procedures. See peers.hpp and
// README.md for what is measured and how.
#include "peers.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/json.hpp>

namespace kaiwu::bench::tsdb {

namespace fs = std::filesystem;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Process control: every server is a process group leader; the registry lets the atexit and
// signal handlers kill what is still running.

namespace {

constexpr int kMaxProcs = 16;
std::array<std::atomic<int>, kMaxProcs> g_groups{};  // process group ids (0 = free)

void kill_all_groups() {
  for (auto& g : g_groups) {
    int pg = g.exchange(0);
    if (pg > 0) ::kill(-pg, SIGKILL);
  }
}

extern "C" void on_fatal_signal(int sig) {
  kill_all_groups();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void register_group(int pg) {
  for (auto& g : g_groups) {
    int expected = 0;
    if (g.compare_exchange_strong(expected, pg)) return;
  }
}

void unregister_group(int pg) {
  for (auto& g : g_groups) {
    int expected = pg;
    if (g.compare_exchange_strong(expected, 0)) return;
  }
}

class ServerProcess {
 public:
  ServerProcess() = default;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess() { stop(5); }

  void start(const std::vector<std::string>& argv, const std::string& log_path) {
    install_peer_cleanup();
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int logfd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (logfd < 0) throw std::runtime_error("cannot open " + log_path);
    int nullfd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t parent = ::getpid();
    std::cout.flush();
    std::cerr.flush();
    pid_t pid = ::fork();
    if (pid < 0) {
      ::close(logfd);
      if (nullfd >= 0) ::close(nullfd);
      throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
      // Child: only async-signal-safe calls until exec.
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      ::dup2(logfd, STDOUT_FILENO);
      ::dup2(logfd, STDERR_FILENO);
      if (nullfd >= 0) ::dup2(nullfd, STDIN_FILENO);
      std::signal(SIGPIPE, SIG_DFL);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    ::setpgid(pid, pid);  // also here: no window where the child is in our group
    ::close(logfd);
    if (nullfd >= 0) ::close(nullfd);
    pid_ = pid;
    register_group(pid);
  }

  int pid() const { return pid_; }

  // True while the process runs; reaps it otherwise.
  bool alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      unregister_group(pid_);
      ::kill(-pid_, SIGKILL);  // anything it left in its group
      pid_ = -1;
      return false;
    }
    return true;
  }

  // SIGTERM to the group, SIGKILL after grace_s.
  void stop(double grace_s) {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGTERM);
    auto t0 = Clock::now();
    int status = 0;
    bool reaped = false;
    while (seconds_since(t0) < grace_s) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(-pid_, SIGKILL);
    if (!reaped) ::waitpid(pid_, &status, 0);
    unregister_group(pid_);
    pid_ = -1;
  }

 private:
  int pid_ = -1;
};

std::uint16_t free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind a loopback port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string log_tail(const std::string& path, std::size_t max = 1500) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  if (s.size() > max) s = "…" + s.substr(s.size() - max);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Blocking HTTP/1.1 client with keep-alive (one connection per client object).

class HttpClient {
 public:
  struct Response {
    unsigned status = 0;
    std::string body;
  };

  HttpClient(std::string host, std::uint16_t port) : host_(std::move(host)), port_(port) {}

  Response get(const std::string& target) { return request(http::verb::get, target, {}, {}); }
  Response post(const std::string& target, std::string_view body, std::string_view content_type) {
    return request(http::verb::post, target, body, content_type);
  }

  Response request(http::verb verb, const std::string& target, std::string_view body, std::string_view content_type) {
    for (int attempt = 0;; ++attempt) {
      try {
        if (!sock_) connect();
        http::request<http::span_body<const char>> req{verb, target, 11};
        req.set(http::field::host, host_ + ":" + std::to_string(port_));
        req.keep_alive(true);
        if (!content_type.empty()) req.set(http::field::content_type, content_type);
        req.body() = http::span_body<const char>::value_type(body.data(), body.size());
        req.prepare_payload();
        http::write(*sock_, req);
        http::response_parser<http::string_body> parser;
        parser.body_limit(std::numeric_limits<std::uint64_t>::max());
        http::read(*sock_, buf_, parser);
        Response out{parser.get().result_int(), std::move(parser.get().body())};
        if (!parser.keep_alive()) close();
        return out;
      } catch (const boost::system::system_error& e) {
        close();
        // A kept-alive connection the server closed meanwhile: reconnect once.
        if (attempt >= 1) throw std::runtime_error("HTTP " + target.substr(0, 60) + ": " + e.what());
      }
    }
  }

 private:
  void connect() {
    sock_.emplace(ioc_);
    tcp::resolver resolver(ioc_);
    net::connect(*sock_, resolver.resolve(host_, std::to_string(port_)));
    sock_->set_option(tcp::no_delay(true));
    timeval tv{300, 0};
    ::setsockopt(sock_->native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(sock_->native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    buf_.clear();
  }
  void close() {
    if (sock_) {
      boost::system::error_code ec;
      sock_->shutdown(tcp::socket::shutdown_both, ec);
      sock_->close(ec);
      sock_.reset();
    }
    buf_.clear();
  }

  std::string host_;
  std::uint16_t port_;
  net::io_context ioc_;
  std::optional<tcp::socket> sock_;
  beast::flat_buffer buf_;
};

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

bool wait_ready(ServerProcess& proc, HttpClient& client, const std::string& target, unsigned ok_status, double timeout_s,
                std::string& why) {
  auto t0 = Clock::now();
  while (seconds_since(t0) < timeout_s) {
    if (!proc.alive()) {
      why = "exited during startup";
      return false;
    }
    try {
      if (client.get(target).status == ok_status) return true;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  why = "not ready after " + std::to_string(static_cast<int>(timeout_s)) + " s";
  return false;
}

// ---------------------------------------------------------------------------------------------
// Line protocol: measurement = tenant, tag device, one field per key; all keys of a device at one
// timestamp share a line (the idiomatic InfluxDB schema). Devices are split over the writer
// connections like Kaiwu's writer threads (device % conns).

struct LineBodies {
  std::vector<std::vector<std::string>> per_conn;
  std::uint64_t lines = 0;
  std::uint64_t samples = 0;
  std::uint64_t bytes = 0;
};

void append_value(std::string& out, const Dataset& ds, const Rec& r) {
  char buf[40];
  switch (ds.series[r.series].type) {
    case ValueType::kDouble: {
      auto res = std::to_chars(buf, buf + sizeof buf, std::bit_cast<double>(r.bits));
      out.append(buf, res.ptr);
      break;
    }
    case ValueType::kInt: {
      auto res = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(r.bits));
      out.append(buf, res.ptr);
      out += 'i';
      break;
    }
    case ValueType::kBool: out += r.bits ? "true" : "false"; break;
    default: out += "0"; break;
  }
}

LineBodies render_line_protocol(const Dataset& ds, int conns, std::size_t lines_per_batch) {
  LineBodies lb;
  lb.per_conn.resize(static_cast<std::size_t>(conns));
  std::vector<std::string> current(static_cast<std::size_t>(conns));
  std::vector<std::size_t> lines_in(static_cast<std::size_t>(conns));
  std::vector<std::uint32_t> idx;
  for (std::size_t b = 0; b + 1 < ds.blocks.size(); ++b) {
    const std::size_t from = ds.blocks[b], to = ds.blocks[b + 1];
    if (from == to) continue;
    const auto dev = ds.series[ds.recs[from].series].device;
    const auto c = static_cast<std::size_t>(dev % static_cast<std::uint32_t>(conns));
    idx.resize(to - from);
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<std::uint32_t>(from + i);
    std::stable_sort(idx.begin(), idx.end(), [&](std::uint32_t x, std::uint32_t y) { return ds.recs[x].ts < ds.recs[y].ts; });
    auto& body = current[c];
    for (std::size_t i = 0; i < idx.size();) {
      const std::int64_t ts = ds.recs[idx[i]].ts;
      body += ds.opt.tenant;
      body += ",device=";
      body += ds.devices[dev];
      body += ' ';
      bool first = true;
      for (; i < idx.size() && ds.recs[idx[i]].ts == ts; ++i) {
        const Rec& r = ds.recs[idx[i]];
        if (!first) body += ',';
        first = false;
        body += ds.series[r.series].key;
        body += '=';
        append_value(body, ds, r);
        ++lb.samples;
      }
      body += ' ';
      char buf[24];
      auto res = std::to_chars(buf, buf + sizeof buf, ts);
      body.append(buf, res.ptr);
      body += '\n';
      ++lb.lines;
      if (++lines_in[c] >= lines_per_batch) {
        lb.bytes += body.size();
        lb.per_conn[c].push_back(std::move(body));
        body = std::string();
        lines_in[c] = 0;
      }
    }
  }
  for (std::size_t c = 0; c < current.size(); ++c) {
    if (!current[c].empty()) {
      lb.bytes += current[c].size();
      lb.per_conn[c].push_back(std::move(current[c]));
    }
  }
  return lb;
}

// Posts every body (one thread per connection) and fills the ingest figures of r.
void load_bodies(const LineBodies& lb, const std::string& host, std::uint16_t port, const std::string& target, int server_pid,
                 SystemResult& r, bool verbose) {
  const int conns = static_cast<int>(lb.per_conn.size());
  std::atomic<std::uint64_t> retries{0};
  std::mutex err_mu;
  std::string error;
  std::barrier sync(conns + 1);
  std::vector<std::thread> threads;
  for (int c = 0; c < conns; ++c) {
    threads.emplace_back([&, c] {
      HttpClient client(host, port);
      try {
        client.get("/ping");  // connect before the clock starts (VictoriaMetrics answers /ping too)
      } catch (const std::exception&) {
      }
      sync.arrive_and_wait();
      try {
        for (const auto& body : lb.per_conn[static_cast<std::size_t>(c)]) {
          for (int attempt = 0;; ++attempt) {
            auto res = client.post(target, body, "text/plain; charset=utf-8");
            if (res.status / 100 == 2) break;
            if ((res.status >= 500 || res.status == 429) && attempt < 100) {
              ++retries;
              std::this_thread::sleep_for(std::chrono::milliseconds(100));
              continue;
            }
            throw std::runtime_error("write answered " + std::to_string(res.status) + ": " + res.body.substr(0, 300));
          }
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(err_mu);
        if (error.empty()) error = e.what();
      }
    });
  }
  const double cpu0 = self_cpu_seconds();
  const double scpu0 = proc_cpu_seconds(server_pid);
  sync.arrive_and_wait();
  const auto t0 = Clock::now();
  for (auto& t : threads) t.join();
  r.ingest_s = seconds_since(t0);
  r.client_cpu_s = self_cpu_seconds() - cpu0;
  r.server_cpu_s = proc_cpu_seconds(server_pid) - scpu0;
  r.retries = retries.load();
  r.writers = conns;
  r.samples = lb.samples;
  if (!error.empty()) throw std::runtime_error(error);
  r.ingest_rate = r.ingest_s > 0 ? static_cast<double>(r.samples) / r.ingest_s : 0;
  r.rate_per_cpu = r.server_cpu_s > 0 ? static_cast<double>(r.samples) / r.server_cpu_s : 0;
  if (verbose)
    std::cerr << "  " << r.name << ": " << r.samples << " samples in " << r.ingest_s << " s, server CPU " << r.server_cpu_s
              << " s, client CPU " << r.client_cpu_s << " s, retries " << r.retries << "\n";
}

// Times n queries (after warm-up ones). one(i) runs query i and returns (elapsed ms, mismatch
// text or "").
template <typename F>
LatencyStats time_queries(std::size_t n, int warmup, F&& one) {
  for (int w = 0; w < warmup && n > 0; ++w) one(static_cast<std::size_t>(w) % n);
  std::vector<double> ms;
  ms.reserve(n);
  std::size_t mismatches = 0;
  std::string first;
  for (std::size_t i = 0; i < n; ++i) {
    auto [elapsed, mismatch] = one(i);
    ms.push_back(elapsed);
    if (!mismatch.empty()) {
      if (mismatches++ == 0) first = mismatch;
    }
  }
  auto s = latency_stats(std::move(ms));
  s.mismatches = mismatches;
  s.first_mismatch = first;
  return s;
}

double json_number(const boost::json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_bool()) return v.get_bool() ? 1.0 : 0.0;
  if (v.is_string()) return std::stod(std::string(v.get_string()));
  throw std::runtime_error("not a number");
}

// Sum of the samples of every line of a Prometheus text page whose name (before '{' or ' ')
// is `name`.
double prom_sum(const std::string& page, std::string_view name, std::string_view label_filter = {}) {
  double sum = 0;
  std::istringstream is(page);
  std::string line;
  while (std::getline(is, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.compare(0, name.size(), name) != 0) continue;
    if (line.size() <= name.size() || (line[name.size()] != '{' && line[name.size()] != ' ')) continue;
    if (!label_filter.empty() && line.find(label_filter) == std::string::npos) continue;
    auto sp = line.rfind(' ');
    if (sp == std::string::npos) continue;
    try {
      sum += std::stod(line.substr(sp + 1));
    } catch (const std::exception&) {
    }
  }
  return sum;
}

std::string ms_to_seconds(std::int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ms / 1000), static_cast<long long>(ms % 1000));
  return buf;
}

fs::path make_peer_dir(const PeerOptions& opt, const std::string& name) {
  fs::path dir = fs::path(opt.workdir) / (name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::uint64_t du_sum(std::initializer_list<fs::path> paths, std::uint64_t* apparent) {
  std::uint64_t alloc = 0, app = 0;
  for (const auto& p : paths) {
    auto du = disk_usage(p.string());
    alloc += du.allocated;
    app += du.apparent;
  }
  if (apparent) *apparent = app;
  return alloc;
}

void finish_disk(SystemResult& r) {
  r.bytes_per_sample = r.samples ? static_cast<double>(r.disk_bytes) / static_cast<double>(r.samples) : 0;
}

}  // namespace

void install_peer_cleanup() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::atexit(kill_all_groups);
    std::signal(SIGPIPE, SIG_IGN);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) std::signal(sig, on_fatal_signal);
  });
}

// ---------------------------------------------------------------------------------------------
// InfluxDB 1.6

SystemResult run_influxdb(const Dataset& ds, const QuerySet& qs, const PeerOptions& opt) {
  SystemResult r;
  r.name = "influxdb";
  r.version = command_output(opt.influxd + " version");
  if (r.version.empty()) {
    r.error = opt.influxd + " not found (Debian package influxdb)";
    return r;
  }
  fs::path dir;
  try {
    dir = make_peer_dir(opt, "influxdb");
    const fs::path data = dir / "data", wal = dir / "wal", meta = dir / "meta";
    const std::string log = (dir / "influxd.log").string();

    ServerProcess proc;
    std::uint16_t port = 0;
    std::string why;
    for (int attempt = 0; attempt < 3; ++attempt) {
      port = free_loopback_port();
      std::uint16_t rpc = free_loopback_port();
      while (rpc == port) rpc = free_loopback_port();
      std::ofstream conf(dir / "influxdb.conf");
      // Debian defaults except: loopback only, no reporting/monitor/CQ/subscriber (nothing else
      // writes into the data dir), quiet logs, and cold-write thresholds of 1 s so that the
      // cache snapshot and the full compaction happen as soon as the load ends (the defaults, 10 min
      // and 4 h, end in the same state, later).
      conf << "reporting-disabled = true\n"
           << "bind-address = \"127.0.0.1:" << rpc << "\"\n"
           << "[meta]\n  dir = \"" << meta.string() << "\"\n  logging-enabled = false\n"
           << "[data]\n  dir = \"" << data.string() << "\"\n  wal-dir = \"" << wal.string() << "\"\n"
           << "  index-version = \"inmem\"\n  query-log-enabled = false\n"
           << "  cache-snapshot-write-cold-duration = \"1s\"\n  compact-full-write-cold-duration = \"1s\"\n"
           << "[monitor]\n  store-enabled = false\n"
           << "[subscriber]\n  enabled = false\n"
           << "[continuous_queries]\n  enabled = false\n"
           << "[http]\n  bind-address = \"127.0.0.1:" << port << "\"\n  log-enabled = false\n  pprof-enabled = false\n"
           << "[logging]\n  level = \"warn\"\n  suppress-logo = true\n";
      conf.close();
      proc.start({opt.influxd, "run", "-config", (dir / "influxdb.conf").string()}, log);
      HttpClient probe("127.0.0.1", port);
      if (wait_ready(proc, probe, "/ping", 204, 60, why)) break;
      proc.stop(5);
      port = 0;
    }
    if (!port) throw std::runtime_error("influxd did not start (" + why + "): " + log_tail(log));

    HttpClient client("127.0.0.1", port);
    auto created = client.post("/query", "q=CREATE%20DATABASE%20bench", "application/x-www-form-urlencoded");
    if (created.status != 200) throw std::runtime_error("CREATE DATABASE: " + created.body);

    // Load.
    auto lb = render_line_protocol(ds, opt.conns, opt.lines_per_batch);
    r.notes.emplace_back("schema", "line protocol: measurement=" + ds.opt.tenant + ", tag device, one field per key, " +
                                       std::to_string(lb.lines) + " lines, " + std::to_string(lb.bytes) + " bytes");
    r.notes.emplace_back("config", "Debian defaults, index inmem, wal-fsync-delay 0 (fsync per write), cold durations 1 s");
    load_bodies(lb, "127.0.0.1", port, "/write?db=bench&precision=ms", proc.pid(), r, opt.verbose);
    lb = LineBodies();

    // Settle: cache snapshotted, no compaction running, size unchanged for 5 s (or nothing running
    // and the size unchanged for 20 s, whatever the cache gauge says).
    const auto t_settle = Clock::now();
    std::uint64_t prev = 0;
    int stable = 0;
    bool settled = false;
    int idle = 0;
    std::string last_state;
    while (seconds_since(t_settle) < opt.settle_timeout_s) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      auto vars = client.get("/debug/vars");
      double busy = 0, cached = 0;
      std::string state;
      if (vars.status == 200) {
        auto jv = boost::json::parse(vars.body);
        for (const auto& [k, v] : jv.as_object()) {
          if (!v.is_object() || !v.as_object().contains("values")) continue;
          const auto& vals = v.at("values").as_object();
          if (k.starts_with("tsm1_engine")) {
            for (const auto& [name, x] : vals) {
              if (!name.ends_with("Active") && !name.ends_with("Queue")) continue;
              double n = json_number(x);
              if (name.ends_with("Active")) busy += n;
              if (n != 0) state += std::string(name) + "=" + std::to_string(static_cast<long long>(n)) + " ";
            }
          } else if (k.starts_with("tsm1_cache")) {
            cached += json_number(vals.at("memBytes"));
          }
        }
      } else {
        busy = 1;
        state = "debug/vars HTTP " + std::to_string(vars.status) + " ";
      }
      std::uint64_t now = du_sum({data, wal, meta}, nullptr);
      last_state = state + "cache memBytes=" + std::to_string(static_cast<long long>(cached)) + " du=" + std::to_string(now);
      stable = (busy == 0 && cached == 0 && now == prev) ? stable + 1 : 0;
      idle = (busy == 0 && now == prev) ? idle + 1 : 0;
      prev = now;
      if (stable >= 5) {
        settled = true;
        break;
      }
      if (idle >= 20) {  // nothing compacting and nothing changing for 20 s: whatever is still
        settled = true;  // reported as cached or queued is not going to move
        r.notes.emplace_back("settle_state", last_state);
        break;
      }
    }
    r.settle_s = seconds_since(t_settle);
    if (!settled) r.notes.emplace_back("settle", "compaction did not settle within the timeout; size measured anyway; last: " + last_state);
    if (!settled && opt.verbose) std::cerr << "  influxdb: did not settle: " << last_state << "\n";
    r.disk_bytes = du_sum({data, wal, meta}, &r.disk_apparent_bytes);
    r.notes.emplace_back("disk", "du of data + wal + meta dirs; TSM files " +
                                     std::to_string(du_sum({data / "bench" / "autogen"}, nullptr)) + " B, series file " +
                                     std::to_string(du_sum({data / "bench" / "_series"}, nullptr)) + " B");
    finish_disk(r);

    // Read the count back (not timed).
    auto cnt = client.get("/query?db=bench&q=" + url_encode("SELECT count(*) FROM \"" + ds.opt.tenant + "\""));
    if (cnt.status == 200) {
      auto jv = boost::json::parse(cnt.body);
      const auto& res = jv.at("results").as_array().at(0).as_object();
      if (res.contains("series")) {
        const auto& row = res.at("series").as_array().at(0).at("values").as_array().at(0).as_array();
        double total = 0;
        for (std::size_t i = 1; i < row.size(); ++i)
          if (!row[i].is_null()) total += json_number(row[i]);
        r.stored_samples = static_cast<std::uint64_t>(total);
      }
    }

    // Queries.
    const std::string db = "/query?db=bench&epoch=ms&q=";
    r.latest = time_queries(qs.latest.size(), opt.warmup, [&](std::size_t i) -> std::pair<double, std::string> {
      const auto& q = qs.latest[i];
      std::string target = db + url_encode("SELECT last(\"" + q.key + "\") FROM \"" + ds.opt.tenant + "\" WHERE \"device\"='" + q.device + "'");
      auto t0 = Clock::now();
      auto res = client.get(target);
      double ms = seconds_since(t0) * 1e3;
      if (res.status != 200) return {ms, "HTTP " + std::to_string(res.status) + " " + res.body.substr(0, 200)};
      try {
        auto jv = boost::json::parse(res.body);
        const auto& row = jv.at("results").as_array().at(0).at("series").as_array().at(0).at("values").as_array().at(0).as_array();
        auto ts = static_cast<std::int64_t>(json_number(row.at(0)));
        double v = json_number(row.at(1));
        if (ts != q.ts || !close_enough(v, q.value, 1e-15))
          return {ms, q.device + "/" + q.key + ": got " + std::to_string(v) + "@" + std::to_string(ts) + ", want " + std::to_string(q.value)};
      } catch (const std::exception& e) {
        return {ms, q.device + "/" + q.key + ": bad answer (" + e.what() + ") " + res.body.substr(0, 200)};
      }
      return {ms, ""};
    });
    r.agg = time_queries(qs.agg.size(), opt.warmup, [&](std::size_t i) -> std::pair<double, std::string> {
      const auto& q = qs.agg[i];
      std::string target = db + url_encode("SELECT mean(\"" + q.key + "\") FROM \"" + ds.opt.tenant + "\" WHERE \"device\"='" + q.device +
                                           "' AND time >= " + std::to_string(q.from) + "ms AND time < " + std::to_string(q.to) +
                                           "ms GROUP BY time(1m) fill(none)");
      auto t0 = Clock::now();
      auto res = client.get(target);
      double ms = seconds_since(t0) * 1e3;
      if (res.status != 200) return {ms, "HTTP " + std::to_string(res.status) + " " + res.body.substr(0, 200)};
      try {
        auto jv = boost::json::parse(res.body);
        const auto& rows = jv.at("results").as_array().at(0).at("series").as_array().at(0).at("values").as_array();
        if (rows.size() != q.buckets.size())
          return {ms, q.device + "/" + q.key + ": " + std::to_string(rows.size()) + " buckets, want " + std::to_string(q.buckets.size())};
        for (std::size_t b = 0; b < rows.size(); ++b) {
          const auto& row = rows[b].as_array();
          if (static_cast<std::int64_t>(json_number(row.at(0))) != q.buckets[b].first || !close_enough(json_number(row.at(1)), q.buckets[b].second, 1e-9))
            return {ms, q.device + "/" + q.key + ": bucket " + std::to_string(b) + " differs"};
        }
      } catch (const std::exception& e) {
        return {ms, q.device + "/" + q.key + ": bad answer (" + e.what() + ") " + res.body.substr(0, 200)};
      }
      return {ms, ""};
    });
    r.peak_rss_bytes = proc_peak_rss(proc.pid());
    proc.stop(30);
    r.ran = true;
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  if (!opt.keep && !dir.empty()) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// VictoriaMetrics 1.79

SystemResult run_victoriametrics(const Dataset& ds, const QuerySet& qs, const PeerOptions& opt) {
  SystemResult r;
  r.name = "victoriametrics";
  r.version = command_output("dpkg-query -W -f='${Version}' victoria-metrics");
  if (command_output("command -v " + opt.victoria).empty()) {
    r.error = opt.victoria + " not found (Debian package victoria-metrics)";
    return r;
  }
  if (r.version.empty()) r.version = "unknown";
  fs::path dir;
  try {
    dir = make_peer_dir(opt, "victoriametrics");
    const fs::path data = dir / "data";
    const std::string log = (dir / "victoria-metrics.log").string();

    ServerProcess proc;
    std::uint16_t port = 0;
    std::string why;
    for (int attempt = 0; attempt < 3; ++attempt) {
      port = free_loopback_port();
      // Loopback only; retention long enough for any --end; no query result cache (every timed
      // query reads storage); no latency offset (the data ends close to now).
      proc.start({opt.victoria, "-httpListenAddr=127.0.0.1:" + std::to_string(port), "-storageDataPath=" + data.string(),
                  "-retentionPeriod=100y", "-search.disableCache", "-search.latencyOffset=0s", "-loggerLevel=WARN"},
                 log);
      HttpClient probe("127.0.0.1", port);
      if (wait_ready(proc, probe, "/health", 200, 60, why)) break;
      proc.stop(5);
      port = 0;
    }
    if (!port) throw std::runtime_error("victoria-metrics did not start (" + why + "): " + log_tail(log));
    HttpClient client("127.0.0.1", port);

    auto lb = render_line_protocol(ds, opt.conns, opt.lines_per_batch);
    r.notes.emplace_back("schema", "InfluxDB line protocol on /write (metric = " + ds.opt.tenant + "_<key>, labels device and db), " +
                                       std::to_string(lb.lines) + " lines; every value is stored as float64");
    r.notes.emplace_back("durability", "VictoriaMetrics acknowledges writes before they reach disk (buffered ~1 s, no fsync)");
    load_bodies(lb, "127.0.0.1", port, "/write?db=bench&precision=ms", proc.pid(), r, opt.verbose);
    lb = LineBodies();

    // Flush and force-merge every monthly partition of the data, then wait until no merge runs
    // and the size is unchanged for 3 s.
    const auto t_settle = Clock::now();
    client.get("/internal/force_flush");
    for (std::int64_t t = ds.start_ms;; t += 86'400'000LL * 28) {
      std::time_t secs = std::min(t, ds.end_ms - 1) / 1000;
      std::tm tm{};
      ::gmtime_r(&secs, &tm);
      char prefix[32];
      std::snprintf(prefix, sizeof prefix, "%04d_%02d", tm.tm_year + 1900, tm.tm_mon + 1);
      client.get(std::string("/internal/force_merge?partition_prefix=") + prefix);
      if (t >= ds.end_ms - 1) break;
    }
    std::uint64_t prev = 0;
    int stable = 0;
    bool settled = false;
    std::this_thread::sleep_for(std::chrono::seconds(1));
    while (seconds_since(t_settle) < opt.settle_timeout_s) {
      auto m = client.get("/metrics");
      double busy = m.status == 200 ? prom_sum(m.body, "vm_active_merges") + prom_sum(m.body, "vm_active_force_merges") +
                                          prom_sum(m.body, "vm_pending_rows")
                                    : 1;
      std::uint64_t now = du_sum({data}, nullptr);
      stable = (busy == 0 && now == prev) ? stable + 1 : 0;
      prev = now;
      if (stable >= 3) {
        settled = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    r.settle_s = seconds_since(t_settle);
    if (!settled) r.notes.emplace_back("settle", "merges did not settle within the timeout; size measured anyway");
    r.disk_bytes = du_sum({data}, &r.disk_apparent_bytes);
    r.notes.emplace_back("disk", "du of -storageDataPath; data " + std::to_string(du_sum({data / "data"}, nullptr)) + " B, indexdb " +
                                     std::to_string(du_sum({data / "indexdb"}, nullptr)) + " B");
    finish_disk(r);
    {
      auto m = client.get("/metrics");
      if (m.status == 200) r.stored_samples = static_cast<std::uint64_t>(prom_sum(m.body, "vm_rows", "type=\"storage/"));
    }

    const std::string sel = ds.opt.tenant + "_";
    r.latest = time_queries(qs.latest.size(), opt.warmup, [&](std::size_t i) -> std::pair<double, std::string> {
      const auto& q = qs.latest[i];
      // Instant query at the end of the data: the default 5 min look-back finds the last sample
      // of a 1 Hz series; sparser series (vibration bursts) get a look-back (step) of their
      // sampling period, as a user who knows the period would set it.
      std::string target = "/api/v1/query?query=" + url_encode(sel + q.key + "{device=\"" + q.device + "\"}") +
                           "&time=" + ms_to_seconds(ds.end_ms) + "&nocache=1";
      if (q.period_ms > 300'000) target += "&step=" + std::to_string(q.period_ms / 1000 + 60) + "s";
      auto t0 = Clock::now();
      auto res = client.get(target);
      double ms = seconds_since(t0) * 1e3;
      if (res.status != 200) return {ms, "HTTP " + std::to_string(res.status) + " " + res.body.substr(0, 200)};
      try {
        auto jv = boost::json::parse(res.body);
        const auto& val = jv.at("data").at("result").as_array().at(0).at("value").as_array();
        double v = json_number(val.at(1));
        if (!close_enough(v, q.value, 1e-12))
          return {ms, q.device + "/" + q.key + ": got " + std::to_string(v) + ", want " + std::to_string(q.value)};
      } catch (const std::exception& e) {
        return {ms, q.device + "/" + q.key + ": bad answer (" + e.what() + ") " + res.body.substr(0, 200)};
      }
      return {ms, ""};
    });
    r.agg = time_queries(qs.agg.size(), opt.warmup, [&](std::size_t i) -> std::pair<double, std::string> {
      const auto& q = qs.agg[i];
      // Points at from+60 s … to, each over the preceding minute: (t−60 s, t].
      std::string target = "/api/v1/query_range?query=" + url_encode("avg_over_time(" + sel + q.key + "{device=\"" + q.device + "\"}[1m])") +
                           "&start=" + ms_to_seconds(q.from + 60000) + "&end=" + ms_to_seconds(q.to) + "&step=60s&nocache=1";
      auto t0 = Clock::now();
      auto res = client.get(target);
      double ms = seconds_since(t0) * 1e3;
      if (res.status != 200) return {ms, "HTTP " + std::to_string(res.status) + " " + res.body.substr(0, 200)};
      try {
        auto jv = boost::json::parse(res.body);
        const auto& vals = jv.at("data").at("result").as_array().at(0).at("values").as_array();
        auto diff = static_cast<long long>(vals.size()) - static_cast<long long>(q.buckets.size());
        // A burst starting on a minute boundary falls into two (t-60s, t] windows: only 1 Hz
        // series can be compared by count.
        if (q.regular && (diff < -1 || diff > 1))
          return {ms, q.device + "/" + q.key + ": " + std::to_string(vals.size()) + " points, want " + std::to_string(q.buckets.size())};
      } catch (const std::exception& e) {
        return {ms, q.device + "/" + q.key + ": bad answer (" + e.what() + ") " + res.body.substr(0, 200)};
      }
      return {ms, ""};
    });
    r.notes.emplace_back("checks", "latest values compared; aggregates of 1 Hz series checked by point count (±1) only: windows are (t-60s, t]");
    r.peak_rss_bytes = proc_peak_rss(proc.pid());
    proc.stop(30);
    r.ran = true;
  } catch (const std::exception& e) {
    r.error = e.what();
  }
  if (!opt.keep && !dir.empty()) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  return r;
}

}  // namespace kaiwu::bench::tsdb
