// SPC control limits, process capability and the Weibull fit.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "models/kernels.hpp"

namespace kaiwu::models {
namespace {

// Control chart constants for X̄-R charts, subgroup size n = 2..25: A2, D3, D4, d2 as printed
// in the standard tables (ASTM E2587-16 Table 2; Montgomery, Introduction to Statistical Quality
// Control, Appendix VI).
struct RangeRow {
  double a2, d3, d4, d2;
};
constexpr std::array<RangeRow, 24> kRangeTable{{
    {1.880, 0.000, 3.267, 1.128},  // n = 2
    {1.023, 0.000, 2.574, 1.693},  // 3
    {0.729, 0.000, 2.282, 2.059},  // 4
    {0.577, 0.000, 2.114, 2.326},  // 5
    {0.483, 0.000, 2.004, 2.534},  // 6
    {0.419, 0.076, 1.924, 2.704},  // 7
    {0.373, 0.136, 1.864, 2.847},  // 8
    {0.337, 0.184, 1.816, 2.970},  // 9
    {0.308, 0.223, 1.777, 3.078},  // 10
    {0.285, 0.256, 1.744, 3.173},  // 11
    {0.266, 0.283, 1.717, 3.258},  // 12
    {0.249, 0.307, 1.693, 3.336},  // 13
    {0.235, 0.328, 1.672, 3.407},  // 14
    {0.223, 0.347, 1.653, 3.472},  // 15
    {0.212, 0.363, 1.637, 3.532},  // 16
    {0.203, 0.378, 1.622, 3.588},  // 17
    {0.194, 0.391, 1.608, 3.640},  // 18
    {0.187, 0.403, 1.597, 3.689},  // 19
    {0.180, 0.415, 1.585, 3.735},  // 20
    {0.173, 0.425, 1.575, 3.778},  // 21
    {0.167, 0.434, 1.566, 3.819},  // 22
    {0.162, 0.443, 1.557, 3.858},  // 23
    {0.157, 0.451, 1.548, 3.895},  // 24
    {0.153, 0.459, 1.541, 3.931},  // 25
}};

constexpr double kD2Of2 = 1.128;  // d2 for moving ranges of 2
constexpr double kD4Of2 = 3.267;

double round3(double v) { return std::round(v * 1000) / 1000; }

double mean_of(std::span<const double> x) {
  double s = 0;
  for (double v : x) s += v;
  return s / static_cast<double>(x.size());
}

double sample_sd(std::span<const double> x, double mean) {
  double s = 0;
  for (double v : x) s += (v - mean) * (v - mean);
  return std::sqrt(s / static_cast<double>(x.size() - 1));
}

Status finite(std::span<const double> x) {
  for (double v : x)
    if (!std::isfinite(v)) return fail(Errc::kInvalidArgument, "values must be finite numbers");
  return ok();
}

}  // namespace

Result<SpcConstants> spc_constants(int n) {
  if (n < 2 || n > 25) return fail(Errc::kInvalidArgument, "subgroup size must be 2..25");
  const auto& row = kRangeTable[static_cast<std::size_t>(n - 2)];
  SpcConstants c{.a2 = row.a2, .d3 = row.d3, .d4 = row.d4, .d2 = row.d2};
  const double nn = n;
  c.c4 = std::sqrt(2 / (nn - 1)) * std::exp(std::lgamma(nn / 2) - std::lgamma((nn - 1) / 2));
  const double spread = 3 * std::sqrt(1 - c.c4 * c.c4) / c.c4;
  // Rounded to the tables' three decimals so charts match published examples.
  c.a3 = round3(3 / (c.c4 * std::sqrt(nn)));
  c.b3 = round3(std::max(0.0, 1 - spread));
  c.b4 = round3(1 + spread);
  return c;
}

Result<ControlLimits> control_limits(std::span<const double> x, Chart chart, int n) {
  KAIWU_TRY_STATUS(finite(x));
  ControlLimits out;
  if (chart == Chart::kIndividuals) {
    if (x.size() < 2) return fail(Errc::kInvalidArgument, "needs at least 2 values");
    double mr = 0;
    for (std::size_t i = 1; i < x.size(); ++i) mr += std::abs(x[i] - x[i - 1]);
    mr /= static_cast<double>(x.size() - 1);
    out.center = mean_of(x);
    out.sigma_within = mr / kD2Of2;
    out.ucl = out.center + 3 * out.sigma_within;
    out.lcl = out.center - 3 * out.sigma_within;
    out.dispersion_center = mr;
    out.dispersion_ucl = kD4Of2 * mr;
    out.dispersion_lcl = 0;
    out.subgroups = x.size();
    for (double v : x)
      if (v > out.ucl || v < out.lcl) ++out.out_of_control;
    return out;
  }
  const auto c = KAIWU_TRY(spc_constants(n));
  const auto size = static_cast<std::size_t>(n);
  const std::size_t groups = x.size() / size;
  if (groups < 2) return fail(Errc::kInvalidArgument, fmt::format("needs at least 2 subgroups of {} values", n));
  std::vector<double> means(groups);
  double grand = 0, disp = 0;
  for (std::size_t g = 0; g < groups; ++g) {
    const auto sub = x.subspan(g * size, size);
    means[g] = mean_of(sub);
    grand += means[g];
    if (chart == Chart::kXbarR) {
      const auto [lo, hi] = std::minmax_element(sub.begin(), sub.end());
      disp += *hi - *lo;
    } else {
      disp += sample_sd(sub, means[g]);
    }
  }
  grand /= static_cast<double>(groups);
  disp /= static_cast<double>(groups);
  out.center = grand;
  out.dispersion_center = disp;
  out.subgroups = groups;
  if (chart == Chart::kXbarR) {
    out.ucl = grand + c.a2 * disp;
    out.lcl = grand - c.a2 * disp;
    out.dispersion_ucl = c.d4 * disp;
    out.dispersion_lcl = c.d3 * disp;
    out.sigma_within = disp / c.d2;
  } else {
    out.ucl = grand + c.a3 * disp;
    out.lcl = grand - c.a3 * disp;
    out.dispersion_ucl = c.b4 * disp;
    out.dispersion_lcl = c.b3 * disp;
    out.sigma_within = disp / c.c4;
  }
  for (double m : means)
    if (m > out.ucl || m < out.lcl) ++out.out_of_control;
  return out;
}

Result<Capability> capability(std::span<const double> x, double lsl, double usl, Chart chart, int n) {
  if (!(usl > lsl)) return fail(Errc::kInvalidArgument, "usl must be greater than lsl");
  const auto limits = KAIWU_TRY(control_limits(x, chart, n));
  Capability c;
  c.mean = mean_of(x);
  c.sigma_within = limits.sigma_within;
  c.sigma_overall = sample_sd(x, c.mean);
  if (c.sigma_within <= 0 || c.sigma_overall <= 0)
    return fail(Errc::kInvalidArgument, "values have no spread: capability is undefined");
  c.cp = (usl - lsl) / (6 * c.sigma_within);
  c.cpk = std::min(usl - c.mean, c.mean - lsl) / (3 * c.sigma_within);
  c.pp = (usl - lsl) / (6 * c.sigma_overall);
  c.ppk = std::min(usl - c.mean, c.mean - lsl) / (3 * c.sigma_overall);
  return c;
}

namespace {

// The shape's likelihood equation (Lawless, Statistical Models and Methods for Lifetime Data,
// §4.1.1): g(β) = Σ t^β ln t / Σ t^β − 1/β − (1/r) Σ_failures ln t = 0; increasing in β.
// Times are divided by their maximum first so t^β cannot overflow.
double shape_equation(std::span<const double> t, double mean_log_fail, double beta) {
  double s0 = 0, s1 = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double p = std::pow(t[i], beta);
    s0 += p;
    s1 += p * std::log(t[i]);
  }
  return s1 / s0 - 1 / beta - mean_log_fail;
}

}  // namespace

Result<Weibull> weibull_fit(std::span<const double> times, std::span<const bool> censored) {
  if (!censored.empty() && censored.size() != times.size())
    return fail(Errc::kInvalidArgument, "censored must have one flag per time");
  Weibull w;
  double tmax = 0;
  for (std::size_t i = 0; i < times.size(); ++i) {
    if (!(times[i] > 0) || !std::isfinite(times[i]))
      return fail(Errc::kInvalidArgument, "times must be positive finite numbers");
    tmax = std::max(tmax, times[i]);
    if (!censored.empty() && censored[i]) ++w.censored;
    else ++w.failures;
  }
  if (w.failures < 2) return fail(Errc::kInvalidArgument, "needs at least 2 failures");
  std::vector<double> t(times.size());
  double sum_log_fail = 0, first = times[0] / tmax;
  bool all_equal = true;
  for (std::size_t i = 0; i < times.size(); ++i) {
    t[i] = times[i] / tmax;
    all_equal = all_equal && t[i] == first;
    if (censored.empty() || !censored[i]) sum_log_fail += std::log(t[i]);
  }
  if (all_equal) return fail(Errc::kInvalidArgument, "times are all equal: the shape is undefined");
  const double mlf = sum_log_fail / static_cast<double>(w.failures);
  // Bisection on log β: g is monotone, so this always converges (to 1e-12 relative).
  double lo = std::log(0.02), hi = std::log(200.0);
  if (shape_equation(t, mlf, std::exp(lo)) > 0 || shape_equation(t, mlf, std::exp(hi)) < 0)
    return fail(Errc::kInvalidArgument, "shape outside 0.02..200: the data do not look Weibull");
  while (hi - lo > 1e-12 && w.iterations < 200) {
    const double mid = (lo + hi) / 2;
    (shape_equation(t, mlf, std::exp(mid)) > 0 ? hi : lo) = mid;
    ++w.iterations;
  }
  w.shape = std::exp((lo + hi) / 2);
  double s0 = 0;
  for (double v : t) s0 += std::pow(v, w.shape);
  w.scale = tmax * std::pow(s0 / static_cast<double>(w.failures), 1 / w.shape);
  w.b10 = w.scale * std::pow(-std::log(0.9), 1 / w.shape);
  w.mttf = w.scale * std::tgamma(1 + 1 / w.shape);
  return w;
}

double weibull_reliability(double shape, double scale, double t) {
  if (t <= 0) return 1;
  return std::exp(-std::pow(t / scale, shape));
}

}  // namespace kaiwu::models
