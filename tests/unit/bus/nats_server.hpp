// Real nats-server processes for tests and benchmarks: JetStream on, listening on 127.0.0.1 free
// ports, storage in a temporary directory, stopped by PID (SIGTERM, or SIGKILL to simulate a
// crash) and cleaned up by the destructor.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/prctl.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace kaiwu::testing {

inline int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

inline bool port_open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

class NatsServer {
 public:
  // `routes`: cluster ports of the other members (empty: a single server).
  NatsServer(std::string name, std::filesystem::path dir, int cluster_port = 0, std::vector<int> routes = {})
      : name_(std::move(name)), dir_(std::move(dir)), port_(free_loopback_port()), cluster_port_(cluster_port),
        routes_(std::move(routes)) {}
  NatsServer(const NatsServer&) = delete;
  NatsServer& operator=(const NatsServer&) = delete;
  ~NatsServer() { stop(); }

  void start() {
    std::filesystem::create_directories(dir_);
    std::vector<std::string> args = {"nats-server", "-a", "127.0.0.1", "-p", std::to_string(port_), "-js",
                                     "-sd", (dir_ / "js").string(), "-n", name_};
    if (cluster_port_) {
      args.insert(args.end(), {"--cluster_name", "kaiwu-test", "--cluster",
                               "nats://127.0.0.1:" + std::to_string(cluster_port_)});
      std::string r;
      for (int p : routes_) r += (r.empty() ? "" : ",") + std::string("nats://127.0.0.1:") + std::to_string(p);
      if (!r.empty()) args.insert(args.end(), {"--routes", r});
    }
    auto log = (dir_ / "server.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with the test even if the test crashes
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp("nats-server", argv.data());
      ::_exit(127);
    }
  }

  bool wait_ready(std::chrono::milliseconds limit = std::chrono::seconds(10)) const {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (port_open(port_)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  void kill_hard() { signal_and_wait(SIGKILL); }
  void stop() { signal_and_wait(SIGTERM); }

  int port() const { return port_; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  const std::string& name() const { return name_; }

 private:
  void signal_and_wait(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::string name_;
  std::filesystem::path dir_;
  int port_;
  int cluster_port_;
  std::vector<int> routes_;
  pid_t pid_ = -1;
};

// A temporary directory removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kaiwu-nats-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// `n` servers routed to each other as one JetStream cluster.
class NatsCluster {
 public:
  explicit NatsCluster(int n) {
    std::vector<int> cports;
    for (int i = 0; i < n; ++i) cports.push_back(free_loopback_port());
    for (int i = 0; i < n; ++i) {
      std::vector<int> routes;
      for (int j = 0; j < n; ++j)
        if (j != i) routes.push_back(cports[j]);
      servers_.push_back(std::make_unique<NatsServer>("n" + std::to_string(i), dir_.path() / ("n" + std::to_string(i)),
                                                      cports[i], routes));
    }
  }
  bool start() {
    for (auto& s : servers_) s->start();
    for (auto& s : servers_)
      if (!s->wait_ready()) return false;
    return true;
  }
  NatsServer& server(int i) { return *servers_[i]; }
  // Comma-separated client URLs, starting at server `first`.
  std::string urls(int first = 0) const {
    std::string out;
    for (std::size_t i = 0; i < servers_.size(); ++i)
      out += (out.empty() ? "" : ",") + servers_[(first + i) % servers_.size()]->url();
    return out;
  }

 private:
  TempDir dir_;
  std::vector<std::unique_ptr<NatsServer>> servers_;
};

}  // namespace kaiwu::testing
