#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace kaiwu {
namespace {

// A strict reader of the Prometheus text exposition format 0.0.4: it checks the grammar of every
// line, that HELP and TYPE come before a family's samples, and that sample names belong to the
// family (with _bucket/_sum/_count for histograms). Returns series text → value.
struct Exposition {
  std::map<std::string, std::string> help;  // family → unescaped help
  std::map<std::string, std::string> type;  // family → type
  std::map<std::string, double> samples;    // "name{labels}" as rendered → value
  std::vector<std::string> family_order;
};

bool valid_metric_name(const std::string& s) {
  static const std::regex re("[a-zA-Z_:][a-zA-Z0-9_:]*");
  return std::regex_match(s, re);
}

// label="value" pairs separated by commas; values use only the escapes \\, \" and \n.
::testing::AssertionResult valid_labels(const std::string& body) {
  std::size_t i = 0;
  while (i < body.size()) {
    std::size_t eq = body.find('=', i);
    if (eq == std::string::npos) return ::testing::AssertionFailure() << "no '=' in " << body;
    std::string name = body.substr(i, eq - i);
    static const std::regex label_re("[a-zA-Z_][a-zA-Z0-9_]*");
    if (!std::regex_match(name, label_re))
      return ::testing::AssertionFailure() << "bad label name '" << name << "'";
    if (eq + 1 >= body.size() || body[eq + 1] != '"')
      return ::testing::AssertionFailure() << "unquoted label value in " << body;
    std::size_t j = eq + 2;
    for (; j < body.size() && body[j] != '"'; ++j) {
      if (body[j] == '\n') return ::testing::AssertionFailure() << "raw newline in label";
      if (body[j] != '\\') continue;
      if (j + 1 >= body.size() || (body[j + 1] != '\\' && body[j + 1] != '"' && body[j + 1] != 'n'))
        return ::testing::AssertionFailure() << "bad escape in " << body;
      ++j;
    }
    if (j >= body.size()) return ::testing::AssertionFailure() << "unterminated value in " << body;
    i = j + 1;
    if (i < body.size()) {
      if (body[i] != ',') return ::testing::AssertionFailure() << "expected ',' in " << body;
      ++i;
    }
  }
  return ::testing::AssertionSuccess();
}

bool parse_value(const std::string& text, double& out) {
  if (text == "+Inf") return out = std::numeric_limits<double>::infinity(), true;
  if (text == "-Inf") return out = -std::numeric_limits<double>::infinity(), true;
  if (text == "NaN") return out = std::numeric_limits<double>::quiet_NaN(), true;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size() && std::isfinite(out);
}

::testing::AssertionResult parse_exposition(const std::string& text, Exposition& out) {
  if (!text.empty() && text.back() != '\n')
    return ::testing::AssertionFailure() << "output does not end with a newline";
  std::istringstream in(text);
  std::string line;
  std::string family;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.starts_with("# HELP ")) {
      auto sp = line.find(' ', 7);
      if (sp == std::string::npos) return ::testing::AssertionFailure() << "line " << n;
      family = line.substr(7, sp - 7);
      if (!valid_metric_name(family) || out.help.contains(family))
        return ::testing::AssertionFailure() << "line " << n << ": bad or repeated HELP";
      std::string help;
      for (std::size_t i = sp + 1; i < line.size(); ++i) {
        if (line[i] != '\\') {
          help += line[i];
          continue;
        }
        if (i + 1 >= line.size() || (line[i + 1] != '\\' && line[i + 1] != 'n'))
          return ::testing::AssertionFailure() << "line " << n << ": bad escape in HELP";
        help += line[++i] == 'n' ? '\n' : '\\';
      }
      out.help[family] = help;
      out.family_order.push_back(family);
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      std::istringstream words(line.substr(7));
      std::string name, type, extra;
      words >> name >> type;
      if (name != family || out.type.contains(name) || (words >> extra))
        return ::testing::AssertionFailure() << "line " << n << ": TYPE must follow its HELP";
      if (type != "counter" && type != "gauge" && type != "histogram")
        return ::testing::AssertionFailure() << "line " << n << ": bad type " << type;
      out.type[name] = type;
      continue;
    }
    if (line.empty() || line[0] == '#')
      return ::testing::AssertionFailure() << "line " << n << ": unexpected '" << line << "'";
    static const std::regex sample_re(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$)");
    std::smatch m;
    if (!std::regex_match(line, m, sample_re))
      return ::testing::AssertionFailure() << "line " << n << ": not a sample: " << line;
    if (!out.type.contains(family))
      return ::testing::AssertionFailure() << "line " << n << ": sample before TYPE";
    std::string name = m[1];
    bool belongs = name == family;
    if (out.type[family] == "histogram")
      belongs = name == family + "_bucket" || name == family + "_sum" || name == family + "_count";
    if (!belongs)
      return ::testing::AssertionFailure() << "line " << n << ": " << name << " outside " << family;
    if (m[2].matched) {
      auto labels = valid_labels(m[3]);
      if (!labels) return labels << " (line " << n << ")";
    }
    double v = 0;
    if (!parse_value(m[4], v))
      return ::testing::AssertionFailure() << "line " << n << ": bad value " << m[4];
    std::string series = std::string(m[1]) + std::string(m[2]);
    if (out.samples.contains(series))
      return ::testing::AssertionFailure() << "line " << n << ": repeated series " << series;
    out.samples[series] = v;
  }
  return ::testing::AssertionSuccess();
}

TEST(Metrics, EmptyRegistryRendersNothing) {
  MetricsRegistry r;
  EXPECT_EQ(r.render(), "");
}

TEST(Metrics, CounterRendersExactly) {
  MetricsRegistry r;
  auto& c = r.counter("kaiwu_http_requests_total", "HTTP requests served.",
                      {{"method", "GET"}, {"status", "200"}});
  c.inc();
  c.inc(41);
  EXPECT_EQ(c.value(), 42u);
  EXPECT_EQ(r.render(),
            "# HELP kaiwu_http_requests_total HTTP requests served.\n"
            "# TYPE kaiwu_http_requests_total counter\n"
            "kaiwu_http_requests_total{method=\"GET\",status=\"200\"} 42\n");
}

TEST(Metrics, CounterWithoutLabelsStartsAtZero) {
  MetricsRegistry r;
  r.counter("kaiwu_restarts_total", "Restarts.");
  EXPECT_EQ(r.render(),
            "# HELP kaiwu_restarts_total Restarts.\n"
            "# TYPE kaiwu_restarts_total counter\n"
            "kaiwu_restarts_total 0\n");
}

TEST(Metrics, GaugeRendersIntegersAndFractions) {
  MetricsRegistry r;
  auto& g = r.gauge("kaiwu_devices_online", "Devices online.");
  g.set(3);
  EXPECT_EQ(r.render(),
            "# HELP kaiwu_devices_online Devices online.\n"
            "# TYPE kaiwu_devices_online gauge\n"
            "kaiwu_devices_online 3\n");
  g.add(-0.5);
  EXPECT_DOUBLE_EQ(g.value(), 2.5);
  Exposition e;
  ASSERT_TRUE(parse_exposition(r.render(), e));
  EXPECT_DOUBLE_EQ(e.samples.at("kaiwu_devices_online"), 2.5);
  g.set(-7);
  EXPECT_NE(r.render().find("kaiwu_devices_online -7\n"), std::string::npos);
}

TEST(Metrics, GaugeRendersSpecialAndLargeValues) {
  MetricsRegistry r;
  auto& g = r.gauge("g", "G.");
  const std::pair<double, std::string> cases[] = {
      {std::numeric_limits<double>::infinity(), "g +Inf\n"},
      {-std::numeric_limits<double>::infinity(), "g -Inf\n"},
      {std::numeric_limits<double>::quiet_NaN(), "g NaN\n"},
      {1e300, "g 1e+300\n"},
      {-1e20, "g -1e+20\n"},
      {123456789012345.0, "g 123456789012345\n"},
      {0.0005, "g 0.0005\n"},
  };
  for (const auto& [v, line] : cases) {
    g.set(v);
    std::string text = r.render();
    EXPECT_NE(text.find(line), std::string::npos) << text;
    Exposition e;
    EXPECT_TRUE(parse_exposition(text, e));
  }
}

TEST(Metrics, HistogramRendersCumulativeBuckets) {
  MetricsRegistry r;
  auto& h = r.histogram("kaiwu_ingest_seconds", "Ingest latency.", {}, {1, 0.5, 2});
  for (double v : {0.2, 0.5, 1.5, 3.0}) h.observe(v);
  EXPECT_EQ(r.render(),
            "# HELP kaiwu_ingest_seconds Ingest latency.\n"
            "# TYPE kaiwu_ingest_seconds histogram\n"
            "kaiwu_ingest_seconds_bucket{le=\"0.5\"} 2\n"
            "kaiwu_ingest_seconds_bucket{le=\"1\"} 2\n"
            "kaiwu_ingest_seconds_bucket{le=\"2\"} 3\n"
            "kaiwu_ingest_seconds_bucket{le=\"+Inf\"} 4\n"
            "kaiwu_ingest_seconds_sum 5.2\n"
            "kaiwu_ingest_seconds_count 4\n");
}

TEST(Metrics, HistogramLeFollowsOtherLabels) {
  MetricsRegistry r;
  auto& h = r.histogram("rpc_seconds", "RPC latency.", {{"method", "read"}}, {0.1});
  h.observe(0.05);
  h.observe(0.3);
  Exposition e;
  ASSERT_TRUE(parse_exposition(r.render(), e));
  EXPECT_EQ(e.samples.at("rpc_seconds_bucket{method=\"read\",le=\"0.1\"}"), 1);
  EXPECT_EQ(e.samples.at("rpc_seconds_bucket{method=\"read\",le=\"+Inf\"}"), 2);
  EXPECT_DOUBLE_EQ(e.samples.at("rpc_seconds_sum{method=\"read\"}"), 0.35);
  EXPECT_EQ(e.samples.at("rpc_seconds_count{method=\"read\"}"), 2);
  EXPECT_EQ(e.samples.size(), 4u);
}

TEST(Metrics, HistogramSnapshotIsCumulative) {
  Histogram h({10, 1, 5});
  for (double v : {0.0, 1.0, 1.0001, 4.0, 5.0, 9.0, 10.0, 11.0, -3.0}) h.observe(v);
  auto s = h.snapshot();
  EXPECT_EQ(s.bounds, (std::vector<double>{1, 5, 10}));
  EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{3, 6, 8, 9}));
  EXPECT_EQ(s.count, 9u);
  EXPECT_DOUBLE_EQ(s.sum, 38.0001);
}

TEST(Metrics, HistogramDropsDuplicateAndInfiniteBounds) {
  Histogram h({1, 1, std::numeric_limits<double>::infinity(), 2});
  h.observe(1.5);
  auto s = h.snapshot();
  EXPECT_EQ(s.bounds, (std::vector<double>{1, 2}));
  EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{0, 1, 1}));

  MetricsRegistry r;
  r.histogram("h", "H.", {}, {1, 1, std::numeric_limits<double>::infinity()}).observe(0.5);
  Exposition e;
  ASSERT_TRUE(parse_exposition(r.render(), e));  // rejects a repeated le="+Inf" series
  EXPECT_EQ(e.samples.size(), 4u);
}

TEST(Metrics, HistogramCountsNanOnlyInInf) {
  Histogram h({1, 2});
  h.observe(std::numeric_limits<double>::quiet_NaN());
  auto s = h.snapshot();
  EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{0, 0, 1}));
  EXPECT_EQ(s.count, 1u);
}

TEST(Metrics, DefaultLatencyBoundsAscend) {
  auto b = MetricsRegistry::default_latency_bounds();
  ASSERT_FALSE(b.empty());
  for (std::size_t i = 1; i < b.size(); ++i) EXPECT_LT(b[i - 1], b[i]);
  MetricsRegistry r;
  r.histogram("x_seconds", "X.").observe(0.003);
  Exposition e;
  ASSERT_TRUE(parse_exposition(r.render(), e));
  EXPECT_EQ(e.samples.size(), b.size() + 3);  // buckets, +Inf, _sum, _count
  EXPECT_EQ(e.samples.at("x_seconds_bucket{le=\"0.0025\"}"), 0);
  EXPECT_EQ(e.samples.at("x_seconds_bucket{le=\"0.005\"}"), 1);
}

TEST(Metrics, EscapesLabelValues) {
  MetricsRegistry r;
  r.counter("c_total", "C.", {{"path", "a\"b\\c\nd"}}).inc();
  std::string text = r.render();
  EXPECT_NE(text.find("c_total{path=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << text;
  Exposition e;
  EXPECT_TRUE(parse_exposition(text, e));
}

TEST(Metrics, EscapesHelpText) {
  MetricsRegistry r;
  r.counter("c_total", "Line one\nline two with a \\ backslash.").inc();
  std::string text = r.render();
  EXPECT_NE(text.find("# HELP c_total Line one\\nline two with a \\\\ backslash.\n"),
            std::string::npos)
      << text;
  Exposition e;
  ASSERT_TRUE(parse_exposition(text, e));
  EXPECT_EQ(e.help.at("c_total"), "Line one\nline two with a \\ backslash.");
}

TEST(Metrics, SameNameAndLabelsReturnTheSameObject) {
  MetricsRegistry r;
  auto& a = r.counter("req_total", "Requests.", {{"code", "200"}});
  auto& b = r.counter("req_total", "ignored: the first help wins", {{"code", "200"}});
  auto& other = r.counter("req_total", "Requests.", {{"code", "500"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &other);
  a.inc(2);
  b.inc(3);
  other.inc();
  EXPECT_EQ(a.value(), 5u);
  EXPECT_EQ(&r.gauge("g", "G."), &r.gauge("g", "G."));
  EXPECT_EQ(&r.histogram("h", "H."), &r.histogram("h", "H.", {}, {1, 2, 3}));

  Exposition e;
  ASSERT_TRUE(parse_exposition(r.render(), e));
  EXPECT_EQ(e.help.at("req_total"), "Requests.");
  EXPECT_EQ(e.samples.at("req_total{code=\"200\"}"), 5);
  EXPECT_EQ(e.samples.at("req_total{code=\"500\"}"), 1);
}

TEST(Metrics, OneNameCannotHaveTwoTypes) {
  MetricsRegistry r;
  r.counter("x", "X.");
  EXPECT_THROW(r.gauge("x", "X."), std::logic_error);
  EXPECT_THROW(r.histogram("x", "X."), std::logic_error);
  EXPECT_NO_THROW(r.counter("x", "X."));
}

TEST(Metrics, MixedRegistryIsValidExposition) {
  MetricsRegistry r;
  r.counter("b_total", "B.", {{"k", "v"}}).inc(7);
  r.gauge("a_value", "A.", {{"unit", "°C"}}).set(21.5);
  r.histogram("c_seconds", "C.", {{"op", "x"}}, {0.1, 1}).observe(0.5);
  r.histogram("c_seconds", "C.", {{"op", "y"}}, {0.1, 1}).observe(5);
  Exposition e;
  ASSERT_TRUE(parse_exposition(r.render(), e)) << r.render();
  EXPECT_EQ(e.family_order, (std::vector<std::string>{"a_value", "b_total", "c_seconds"}));
  EXPECT_EQ(e.type.at("a_value"), "gauge");
  EXPECT_EQ(e.type.at("b_total"), "counter");
  EXPECT_EQ(e.type.at("c_seconds"), "histogram");
  EXPECT_EQ(e.samples.at("a_value{unit=\"°C\"}"), 21.5);
  EXPECT_EQ(e.samples.at("c_seconds_bucket{op=\"x\",le=\"1\"}"), 1);
  EXPECT_EQ(e.samples.at("c_seconds_bucket{op=\"y\",le=\"1\"}"), 0);
  EXPECT_EQ(e.samples.at("c_seconds_count{op=\"y\"}"), 1);
}

TEST(Metrics, ConcurrentUpdatesSum) {
  MetricsRegistry r;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&r] {
      // Look-ups race too: every thread registers the same series.
      auto& c = r.counter("hits_total", "Hits.");
      auto& g = r.gauge("level", "Level.");
      auto& h = r.histogram("lat_seconds", "Latency.", {}, {0.5});
      for (int i = 0; i < kPerThread; ++i) {
        c.inc();
        g.add(0.5);
        h.observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(r.counter("hits_total", "Hits.").value(),
            static_cast<std::uint64_t>(kThreads) * kPerThread);
  EXPECT_DOUBLE_EQ(r.gauge("level", "Level.").value(), kThreads * kPerThread * 0.5);
  auto s = r.histogram("lat_seconds", "Latency.").snapshot();
  EXPECT_EQ(s.count, static_cast<std::uint64_t>(kThreads) * kPerThread);
  EXPECT_EQ(s.cumulative.front(), static_cast<std::uint64_t>(kThreads) * kPerThread / 2);
  EXPECT_DOUBLE_EQ(s.sum, kThreads * (kPerThread / 2) * 1.25);
}

TEST(Metrics, RenderWhileUpdating) {
  MetricsRegistry r;
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    int i = 0;
    while (!stop.load()) {
      r.counter("w_total", "W.", {{"n", std::to_string(i++ % 50)}}).inc();
    }
  });
  for (int i = 0; i < 200; ++i) {
    Exposition e;
    ASSERT_TRUE(parse_exposition(r.render(), e));
  }
  stop = true;
  writer.join();
}

}  // namespace
}  // namespace kaiwu
