#include "models/builtins.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <cmath>
#include <memory>

#include "models/kernels.hpp"
#include "models/ode.hpp"

namespace kaiwu::models {
namespace json = boost::json;
namespace {

// ---- Access to bound values (the manifest guarantees presence and type) ------------------------

const std::vector<double>& series(const Values& v, std::string_view name) {
  return std::get<std::vector<double>>(v.find(name)->second);
}
double number(const Values& v, std::string_view name) { return std::get<double>(v.find(name)->second); }
const std::string& text(const Values& v, std::string_view name) { return std::get<std::string>(v.find(name)->second); }

// Prefixes a kernel's error with the input it concerns.
template <typename T>
Result<T> about(Result<T> r, std::string_view what) {
  if (!r) return fail(r.error().code, fmt::format("{}: {}", what, r.error().message));
  return r;
}

Value num(double d) { return Value{d}; }
Value num(std::size_t n) { return Value{static_cast<double>(n)}; }

Result<Values> k_describe(const Values& in, const Values& p) {
  const auto& x = series(in, "x");
  const auto d = KAIWU_TRY(about(describe(x), "inputs.x"));
  auto q = KAIWU_TRY(about(quantiles(x, series(p, "quantiles")), "parameters.quantiles"));
  return Values{{"count", num(d.count)},           {"mean", num(d.mean)},
                {"sum", num(d.sum)},               {"min", num(d.min)},
                {"max", num(d.max)},               {"median", num(d.median)},
                {"varianceSample", num(d.variance_sample)}, {"variancePopulation", num(d.variance_population)},
                {"stdevSample", num(d.stddev_sample)},     {"stdevPopulation", num(d.stddev_population)},
                {"skewness", num(d.skewness)},     {"kurtosisExcess", num(d.kurtosis_excess)},
                {"quantiles", Value{std::move(q)}}};
}

Result<Values> k_ewma(const Values& in, const Values& p) {
  auto s = KAIWU_TRY(about(ewma_scores(series(in, "x"), number(p, "alpha"), number(p, "threshold")), "inputs.x"));
  const double last = s.score.back();
  return Values{{"ewma", Value{std::move(s.mean)}}, {"score", Value{std::move(s.score)}},
                {"anomalies", num(s.anomalies)}, {"lastScore", num(last)}};
}

Result<Values> k_zscore(const Values& in, const Values& p) {
  auto z = KAIWU_TRY(about(zscores(series(in, "x"), number(p, "threshold")), "inputs.x"));
  return Values{{"z", Value{std::move(z.z)}}, {"anomalies", num(z.anomalies)}, {"maxAbsZ", num(z.max_abs)}};
}

Result<Values> k_linear(const Values& in, const Values&) {
  auto f = KAIWU_TRY(about(polyfit(series(in, "x"), series(in, "y"), 1), "inputs.x/y"));
  return Values{{"intercept", num(f.coefficients[0])}, {"slope", num(f.coefficients[1])},
                {"r2", num(f.r2)}, {"rmse", num(f.rmse)}};
}

Result<Values> k_poly(const Values& in, const Values& p) {
  const double deg = number(p, "degree");
  if (deg != std::floor(deg)) return fail(Errc::kInvalidArgument, "parameters.degree: must be an integer");
  auto f = KAIWU_TRY(about(polyfit(series(in, "x"), series(in, "y"), static_cast<int>(deg)), "inputs.x/y"));
  return Values{{"coefficients", Value{std::move(f.coefficients)}}, {"r2", num(f.r2)}, {"rmse", num(f.rmse)}};
}

Result<Values> k_fft(const Values& in, const Values& p) {
  const Window w = text(p, "window") == "hann" ? Window::kHann : Window::kNone;
  auto s = KAIWU_TRY(about(amplitude_spectrum(series(in, "x"), number(p, "sampleRate"), w), "inputs.x"));
  const auto& bands = series(p, "bands");
  if (bands.size() % 2 != 0)
    return fail(Errc::kInvalidArgument, "parameters.bands: must hold pairs [lo1, hi1, lo2, hi2, …] in Hz");
  std::vector<double> energy;
  for (std::size_t i = 0; i + 1 < bands.size(); i += 2) energy.push_back(band_energy(s, bands[i], bands[i + 1]));
  return Values{{"frequency", Value{std::move(s.frequency)}}, {"amplitude", Value{std::move(s.amplitude)}},
                {"peakFrequency", num(s.peak_frequency)},    {"peakAmplitude", num(s.peak_amplitude)},
                {"binHz", num(s.bin_hz)},                    {"bandEnergy", Value{std::move(energy)}}};
}

Result<Values> k_vibration(const Values& in, const Values&) {
  auto v = KAIWU_TRY(about(vibration(series(in, "x")), "inputs.x"));
  return Values{{"rms", num(v.rms)}, {"peak", num(v.peak)}, {"peakToPeak", num(v.peak_to_peak)},
                {"crestFactor", num(v.crest_factor)}, {"kurtosis", num(v.kurtosis)}};
}

Chart chart_of(const std::string& s) {
  if (s == "xbar_s") return Chart::kXbarS;
  if (s == "individuals") return Chart::kIndividuals;
  return Chart::kXbarR;
}

Result<Values> k_spc(const Values& in, const Values& p) {
  auto l = KAIWU_TRY(about(control_limits(series(in, "x"), chart_of(text(p, "chart")),
                                          static_cast<int>(number(p, "subgroupSize"))),
                           "inputs.x"));
  return Values{{"center", num(l.center)}, {"ucl", num(l.ucl)}, {"lcl", num(l.lcl)},
                {"dispersionCenter", num(l.dispersion_center)}, {"dispersionUcl", num(l.dispersion_ucl)},
                {"dispersionLcl", num(l.dispersion_lcl)}, {"sigmaWithin", num(l.sigma_within)},
                {"subgroups", num(l.subgroups)}, {"outOfControl", num(l.out_of_control)}};
}

Result<Values> k_capability(const Values& in, const Values& p) {
  auto c = KAIWU_TRY(about(capability(series(in, "x"), number(p, "lsl"), number(p, "usl"),
                                      chart_of(text(p, "chart")), static_cast<int>(number(p, "subgroupSize"))),
                           "inputs.x"));
  return Values{{"cp", num(c.cp)}, {"cpk", num(c.cpk)}, {"pp", num(c.pp)}, {"ppk", num(c.ppk)},
                {"mean", num(c.mean)}, {"sigmaWithin", num(c.sigma_within)}, {"sigmaOverall", num(c.sigma_overall)}};
}

Result<Values> k_weibull(const Values& in, const Values& p) {
  const auto& t = series(in, "times");
  std::unique_ptr<bool[]> cens;  // std::vector<bool> has no contiguous storage for a span
  std::size_t n = 0;
  if (auto it = in.find("censored"); it != in.end()) {
    const auto& c = std::get<std::vector<double>>(it->second);
    if (c.size() != t.size()) return fail(Errc::kInvalidArgument, "inputs.censored: needs one 0/1 flag per time");
    n = c.size();
    cens = std::make_unique<bool[]>(n);
    for (std::size_t i = 0; i < n; ++i) cens[i] = c[i] != 0;
  }
  auto w = KAIWU_TRY(about(weibull_fit(t, std::span<const bool>(cens.get(), n)), "inputs.times"));
  return Values{{"shape", num(w.shape)}, {"scale", num(w.scale)}, {"b10", num(w.b10)}, {"mttf", num(w.mttf)},
                {"reliability", num(weibull_reliability(w.shape, w.scale, number(p, "missionTime")))},
                {"failures", num(w.failures)}, {"censored", num(w.censored)}};
}

Result<Trajectory> integrate(const Derivative& f, std::vector<double> y0, const Values& p) {
  const double h = number(p, "h");
  const double steps = std::round(number(p, "duration") / h);
  if (!(steps >= 1) || steps > static_cast<double>(kMaxOdeSteps))
    return fail(Errc::kInvalidArgument, "parameters.duration: duration / h must be 1..100000 steps");
  return rk4(f, y0, 0, h, static_cast<std::size_t>(steps));
}

Result<Values> k_thermal(const Values& in, const Values& p) {
  auto tr = KAIWU_TRY(integrate(
      thermal_rhs(number(p, "capacity"), number(p, "resistance"), number(p, "power"), number(p, "ambient")),
      {number(in, "T0")}, p));
  const double last = tr.state[0].back();
  return Values{{"t", Value{std::move(tr.t)}}, {"T", Value{std::move(tr.state[0])}}, {"Tfinal", num(last)}};
}

Result<Values> k_smd(const Values& in, const Values& p) {
  auto tr = KAIWU_TRY(integrate(spring_mass_damper_rhs(number(p, "mass"), number(p, "damping"), number(p, "stiffness"),
                                                       number(p, "force")),
                                {number(in, "x0"), number(in, "v0")}, p));
  const double xf = tr.state[0].back(), vf = tr.state[1].back();
  return Values{{"t", Value{std::move(tr.t)}}, {"x", Value{std::move(tr.state[0])}},
                {"v", Value{std::move(tr.state[1])}}, {"xFinal", num(xf)}, {"vFinal", num(vf)}};
}

struct NamedKernel {
  std::string_view name;
  Kernel fn;
};
constexpr NamedKernel kKernels[] = {
    {"stats.describe", &k_describe},       {"anomaly.ewma", &k_ewma},
    {"anomaly.zscore", &k_zscore},         {"regression.linear", &k_linear},
    {"regression.polynomial", &k_poly},    {"spectrum.fft", &k_fft},
    {"vibration.features", &k_vibration},  {"spc.chart", &k_spc},
    {"spc.capability", &k_capability},     {"reliability.weibull", &k_weibull},
    {"ode.thermal", &k_thermal},           {"ode.spring_mass_damper", &k_smd},
};

}  // namespace

const Kernel* find_kernel(std::string_view name) {
  for (const auto& k : kKernels)
    if (k.name == name) return &k.fn;
  return nullptr;
}

std::vector<std::string_view> kernel_names() {
  std::vector<std::string_view> out;
  for (const auto& k : kKernels) out.push_back(k.name);
  return out;
}

}  // namespace kaiwu::models
