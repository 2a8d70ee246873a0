#include "pg_server.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace kaiwu::meta::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr auto kStartTimeout = 30s;
constexpr auto kStopTimeout = 10s;

// A loopback port nobody listens on right now.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// When root: the unprivileged user to run PostgreSQL as.
const passwd* server_user() {
  if (::geteuid() != 0) return nullptr;
  if (const passwd* pw = ::getpwnam("postgres")) return pw;
  return ::getpwnam("nobody");
}

// argv prefixed with setpriv when root, so the program runs as user (with the parent-death
// signal set after the switch: the kernel clears one set before it).
std::vector<std::string> as_server_user(std::vector<std::string> argv) {
  const passwd* pw = server_user();
  if (pw == nullptr) return argv;
  std::vector<std::string> out{"/usr/bin/setpriv",
                               "--reuid=" + std::to_string(pw->pw_uid),
                               "--regid=" + std::to_string(pw->pw_gid),
                               "--clear-groups",
                               "--pdeathsig=KILL",
                               "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

// Forks and execs argv with stdout and stderr appended to log; returns the child's pid.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // kept across exec when no setpriv switches user
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
  }
  ::execv(args[0], args.data());
  ::_exit(127);
}

int wait_exit(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string tail_of(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.size() > 2000) text = text.substr(text.size() - 2000);
  return text;
}

}  // namespace

std::string PgServer::bin_dir() {
  if (const char* env = std::getenv("KAIWU_PG_BIN"); env != nullptr && *env != '\0') return env;
  for (const char* v : {"17", "16", "15", "14", "13"}) {
    const std::string dir = std::string("/usr/lib/postgresql/") + v + "/bin";
    if (fs::exists(dir + "/initdb") && fs::exists(dir + "/postgres")) return dir;
  }
  return {};
}

std::unique_ptr<PgServer> PgServer::start(std::string* why) {
  const std::string bin = bin_dir();
  if (bin.empty()) {
    *why = "no PostgreSQL server binaries (install postgresql, or set KAIWU_PG_BIN)";
    return nullptr;
  }
  std::string tmpl = (fs::temp_directory_path() / "kaiwu-pg-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    *why = "mkdtemp failed";
    return nullptr;
  }
  std::unique_ptr<PgServer> server(new PgServer());
  server->dir_ = tmpl;
  if (const passwd* pw = server_user()) {
    if (::chown(tmpl.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      *why = "cannot chown " + tmpl;
      return nullptr;
    }
  }
  const std::string data = tmpl + "/data";
  const pid_t init = spawn(as_server_user({bin + "/initdb", "-D", data, "-A", "trust", "-U",
                                           "postgres", "-E", "UTF8", "--locale=C", "-N"}),
                           tmpl + "/initdb.log");
  if (wait_exit(init) != 0) {
    *why = "initdb failed: " + tail_of(tmpl + "/initdb.log");
    return nullptr;
  }
  server->port_ = free_port();
  if (!server->launch(why)) return nullptr;
  return server;
}

bool PgServer::launch(std::string* why) {
  const std::string log = dir_ + "/server.log";
  pid_ = spawn(as_server_user({bin_dir() + "/postgres", "-D", dir_ + "/data", "-k", dir_, "-h",
                               "127.0.0.1", "-p", std::to_string(port_), "-F", "-c",
                               "max_connections=200", "-c", "shared_buffers=32MB", "-c",
                               "full_page_writes=off"}),
               log);
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  const std::string info = conninfo() + " connect_timeout=2";
  while (PQping(info.c_str()) != PQPING_OK) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *why = "postgres exited: " + tail_of(log);
      return false;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      *why = "postgres did not accept connections: " + tail_of(log);
      return false;
    }
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

bool PgServer::restart(std::string* why) {
  shut_down();
  return launch(why);
}

std::string PgServer::conninfo(const std::string& dbname) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + dbname;
}

void PgServer::shut_down() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGINT);  // fast shutdown
  const auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  pid_ = -1;
}

void PgServer::stop() {
  shut_down();
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    dir_.clear();
  }
}

PgServer::~PgServer() { stop(); }

}  // namespace kaiwu::meta::testing
