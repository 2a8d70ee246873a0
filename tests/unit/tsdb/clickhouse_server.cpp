#include "clickhouse_server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/http_client.hpp"

namespace kaiwu::testing {
namespace fs = std::filesystem;

namespace {

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

std::string tail(const fs::path& p, std::size_t n = 1500) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = ss.str();
  return s.size() > n ? s.substr(s.size() - n) : s;
}

void write_file(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

}  // namespace

Result<std::unique_ptr<ClickHouseServer>> ClickHouseServer::start(const std::string& parent_dir) {
  std::string bin = "/usr/sbin/clickhouse-server";
  if (const char* env = std::getenv("KAIWU_CLICKHOUSE_SERVER")) bin = env;
  if (::access(bin.c_str(), X_OK) != 0)
    return fail(Errc::kNotFound, bin + " not found: install clickhouse-server (scripts/install-deps.sh)");
  std::unique_ptr<ClickHouseServer> s(new ClickHouseServer());
  std::string tmpl = parent_dir + "/kaiwu-clickhouse-XXXXXX";
  if (!::mkdtemp(tmpl.data())) return fail(Errc::kIo, "mkdtemp below " + parent_dir + " failed");
  s->dir_ = tmpl;
  s->http_port_ = free_port();
  s->tcp_port_ = free_port();
  const fs::path d = s->dir_;
  // Config keys as clickhouse-server 18.16 reads them (its /etc/clickhouse-server/config.xml).
  write_file(d / "config.xml", "<?xml version=\"1.0\"?>\n<yandex>\n"
      "  <logger><level>warning</level><log>" + (d / "server.log").string() + "</log>"
      "<errorlog>" + (d / "error.log").string() + "</errorlog><console>0</console></logger>\n"
      "  <listen_host>127.0.0.1</listen_host>\n"
      "  <http_port>" + std::to_string(s->http_port_) + "</http_port>\n"
      "  <tcp_port>" + std::to_string(s->tcp_port_) + "</tcp_port>\n"
      "  <path>" + (d / "data").string() + "/</path>\n"
      "  <tmp_path>" + (d / "tmp").string() + "/</tmp_path>\n"
      "  <user_files_path>" + (d / "user_files").string() + "/</user_files_path>\n"
      "  <format_schema_path>" + (d / "format_schemas").string() + "/</format_schema_path>\n"
      "  <users_config>" + (d / "users.xml").string() + "</users_config>\n"
      "  <default_profile>default</default_profile>\n  <default_database>default</default_database>\n"
      "  <mark_cache_size>67108864</mark_cache_size>\n  <uncompressed_cache_size>67108864</uncompressed_cache_size>\n"
      "  <max_concurrent_queries>64</max_concurrent_queries>\n  <timezone>UTC</timezone>\n"
      "</yandex>\n");
  write_file(d / "users.xml", "<?xml version=\"1.0\"?>\n<yandex>\n"
      "  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>\n"
      "  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>"
      "<profile>default</profile><quota>default</quota></default></users>\n"
      "  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>"
      "<result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>\n"
      "</yandex>\n");
  const std::string config_arg = "--config-file=" + (d / "config.xml").string();
  const std::string out = (d / "stdout.log").string();
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return fail(Errc::kIo, "fork failed");
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    ::chdir(d.c_str());
    ::execl(bin.c_str(), bin.c_str(), config_arg.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  s->pid_ = pid;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      s->pid_ = -1;
      return fail(Errc::kUnavailable, "clickhouse-server exited at start: " + tail(d / "stdout.log") + tail(d / "error.log"));
    }
    if (auto r = s->sql("SELECT 1"); r && *r == "1\n") return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return fail(Errc::kUnavailable, "clickhouse-server did not answer within 30 s: " + tail(d / "error.log"));
}

Result<std::string> ClickHouseServer::sql(const std::string& query) const {
  HttpRequest r;
  r.content_type = "text/plain";
  r.body = query;
  auto res = http_send(url(), std::move(r), {.timeout = std::chrono::seconds(30), .body_limit = 64 << 20});
  if (!res) return std::unexpected(res.error());
  if (res->status != 200) return fail(Errc::kUnavailable, res->body);
  return std::move(res->body);
}

void ClickHouseServer::stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) != pid_) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    dir_.clear();
  }
}

ClickHouseServer::~ClickHouseServer() { stop(); }

}  // namespace kaiwu::testing
