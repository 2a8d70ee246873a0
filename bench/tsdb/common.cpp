#include "common.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <sstream>

namespace kaiwu::bench::tsdb {

QuerySet make_queries(const Dataset& ds, int n, std::uint64_t seed) {
  QuerySet qs;
  if (n <= 0 || ds.recs.empty()) return qs;
  std::mt19937_64 rng(seed ^ 0x51e7ULL);

  // Last sample of every series.
  std::vector<const Rec*> last(ds.series.size(), nullptr);
  for (const auto& r : ds.recs)
    if (!last[r.series] || last[r.series]->ts <= r.ts) last[r.series] = &r;

  std::vector<std::uint32_t> slow, analog, numeric, boolean, any;
  for (std::uint32_t i = 0; i < ds.series.size(); ++i) {
    if (!last[i]) continue;
    const auto& s = ds.series[i];
    any.push_back(i);
    if (s.cls != SignalClass::kVibration) slow.push_back(i);
    if (s.cls == SignalClass::kAnalog) analog.push_back(i);
    if (s.cls == SignalClass::kCounter || s.cls == SignalClass::kStep) numeric.push_back(i);
    if (s.cls == SignalClass::kBool) boolean.push_back(i);
  }
  if (slow.empty()) slow = any;
  if (analog.empty()) analog = numeric;
  if (analog.empty()) analog = boolean;
  if (analog.empty()) analog = any;
  auto period = [&](std::uint32_t id) -> std::int64_t {
    return ds.series[id].cls == SignalClass::kVibration ? std::int64_t{ds.opt.vib_every_s} * 1000 : 1000;
  };
  std::shuffle(slow.begin(), slow.end(), rng);
  std::shuffle(analog.begin(), analog.end(), rng);

  for (int q = 0; q < n; ++q) {
    auto id = slow[static_cast<std::size_t>(q) % slow.size()];
    const auto& s = ds.series[id];
    qs.latest.push_back({id, ds.devices[s.device], s.key, last[id]->ts, ds.as_double(*last[id]), period(id)});
  }

  // Aggregates: the last 24 h (minute aligned) of each chosen series.
  const std::int64_t to = ds.end_ms / 60000 * 60000;
  const std::int64_t start = (ds.start_ms + 59999) / 60000 * 60000;
  const std::int64_t from = std::max(start, to - 86'400'000);
  if (to <= from) return qs;
  const std::size_t minutes = static_cast<std::size_t>((to - from) / 60000);
  std::map<std::uint32_t, std::size_t> slot;  // series → index into acc
  for (int q = 0; q < n; ++q) slot.emplace(analog[static_cast<std::size_t>(q) % analog.size()], slot.size());
  std::vector<std::vector<std::pair<double, std::uint32_t>>> acc(slot.size(), std::vector<std::pair<double, std::uint32_t>>(minutes));
  std::vector<std::uint32_t> index(ds.series.size(), UINT32_MAX);
  for (const auto& [id, i] : slot) index[id] = static_cast<std::uint32_t>(i);
  for (const auto& r : ds.recs) {
    auto i = index[r.series];
    if (i == UINT32_MAX || r.ts < from || r.ts >= to) continue;
    auto& b = acc[i][static_cast<std::size_t>((r.ts - from) / 60000)];
    b.first += ds.as_double(r);
    b.second += 1;
  }
  for (int q = 0; q < n; ++q) {
    auto id = analog[static_cast<std::size_t>(q) % analog.size()];
    const auto& s = ds.series[id];
    QuerySet::Agg a{id, ds.devices[s.device], s.key, from, to, {}, 0, s.cls != SignalClass::kVibration};
    const auto& buckets = acc[slot[id]];
    for (std::size_t m = 0; m < minutes; ++m) {
      if (buckets[m].second == 0) continue;
      a.buckets.emplace_back(from + static_cast<std::int64_t>(m) * 60000, buckets[m].first / buckets[m].second);
      a.samples += buckets[m].second;
    }
    qs.agg.push_back(std::move(a));
  }
  return qs;
}

LatencyStats latency_stats(std::vector<double> ms) {
  LatencyStats s;
  s.n = ms.size();
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  auto rank = [&](double p) {
    auto k = static_cast<std::size_t>(std::ceil(p * static_cast<double>(ms.size())));
    return ms[std::clamp<std::size_t>(k, 1, ms.size()) - 1];
  };
  s.p50_ms = rank(0.50);
  s.p99_ms = rank(0.99);
  s.max_ms = ms.back();
  s.mean_ms = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
  return s;
}

DiskUsage disk_usage(const std::string& path) {
  DiskUsage du;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return du;
  std::set<std::pair<dev_t, ino_t>> seen;
  auto add = [&](const std::filesystem::path& p) {
    struct stat st{};
    if (::lstat(p.c_str(), &st) != 0) return;
    if (!seen.emplace(st.st_dev, st.st_ino).second) return;
    du.allocated += static_cast<std::uint64_t>(st.st_blocks) * 512;
    if (S_ISREG(st.st_mode)) {
      du.apparent += static_cast<std::uint64_t>(st.st_size);
      ++du.files;
    }
  };
  add(path);
  for (auto it = std::filesystem::recursive_directory_iterator(path, std::filesystem::directory_options::skip_permission_denied, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    add(it->path());
  return du;
}

double self_cpu_seconds() {
  struct rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

double proc_cpu_seconds(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return -1;
  // Fields after the command name (which may contain spaces) start after the last ')'.
  auto p = line.rfind(')');
  if (p == std::string::npos) return -1;
  std::istringstream is(line.substr(p + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && (is >> field); ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::uint64_t proc_peak_rss(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

MachineInfo machine_info(const std::string& workdir) {
  MachineInfo m;
  m.nproc = static_cast<unsigned>(::sysconf(_SC_NPROCESSORS_ONLN));
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) == 0) m.affinity = static_cast<unsigned>(CPU_COUNT(&set));
  {
    std::ifstream f("/proc/meminfo");
    std::string line;
    while (std::getline(f, line))
      if (line.rfind("MemTotal:", 0) == 0) m.mem_total = std::stoull(line.substr(9)) * 1024;
  }
  {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line)) {
      if (line.rfind("model name", 0) == 0) {
        auto p = line.find(':');
        if (p != std::string::npos) m.cpu_model = line.substr(p + 2);
        break;
      }
    }
  }
  struct utsname u{};
  if (::uname(&u) == 0) {
    m.kernel = std::string(u.sysname) + " " + u.release + " " + u.machine;
    m.hostname = u.nodename;
  }
  double la[1] = {0};
  if (::getloadavg(la, 1) == 1) m.loadavg1 = la[0];
  struct statfs sf{};
  if (::statfs(workdir.c_str(), &sf) == 0) {
    switch (static_cast<unsigned long>(sf.f_type)) {
      case 0xEF53: m.workdir_fs = "ext4"; break;
      case 0x58465342: m.workdir_fs = "xfs"; break;
      case 0x9123683E: m.workdir_fs = "btrfs"; break;
      case 0x01021994: m.workdir_fs = "tmpfs"; break;
      case 0x794c7630: m.workdir_fs = "overlayfs"; break;
      default: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(sf.f_type));
        m.workdir_fs = buf;
      }
    }
  }
  return m;
}

namespace {
std::string utc_format(const char* fmt) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, fmt, &tm);
  return buf;
}
}  // namespace

std::string utc_stamp() { return utc_format("%Y-%m-%dT%H%M%SZ"); }
std::string utc_iso() { return utc_format("%Y-%m-%dT%H:%M:%SZ"); }

std::string command_output(const std::string& cmd) {
  FILE* p = ::popen((cmd + " 2>/dev/null").c_str(), "r");
  if (!p) return "";
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  ::pclose(p);
  auto nl = out.find('\n');
  if (nl != std::string::npos) out.resize(nl);
  while (!out.empty() && (out.back() == '\r' || out.back() == ' ')) out.pop_back();
  return out;
}

bool close_enough(double a, double b, double rel) {
  if (a == b) return true;
  return std::fabs(a - b) <= rel * std::max(std::fabs(a), std::fabs(b));
}

}  // namespace kaiwu::bench::tsdb
