#include "models/kernels.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>

namespace kaiwu::models {
namespace {

Status need(std::span<const double> x, std::size_t n) {
  if (x.size() < n) return fail(Errc::kInvalidArgument, fmt::format("needs at least {} values", n));
  for (double v : x)
    if (!std::isfinite(v)) return fail(Errc::kInvalidArgument, "values must be finite numbers");
  return ok();
}

double mean_of(std::span<const double> x) {
  double s = 0;
  for (double v : x) s += v;
  return s / static_cast<double>(x.size());
}

// Central moments m2, m3, m4 (population, divided by n).
std::array<double, 3> central_moments(std::span<const double> x, double mean) {
  double m2 = 0, m3 = 0, m4 = 0;
  for (double v : x) {
    const double d = v - mean;
    const double d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  const double n = static_cast<double>(x.size());
  return {m2 / n, m3 / n, m4 / n};
}

}  // namespace

Result<Descriptive> describe(std::span<const double> x) {
  KAIWU_TRY_STATUS(need(x, 1));
  Descriptive d;
  d.count = x.size();
  const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
  d.min = *lo;
  d.max = *hi;
  for (double v : x) d.sum += v;
  d.mean = d.sum / static_cast<double>(d.count);
  const auto [m2, m3, m4] = central_moments(x, d.mean);
  const double n = static_cast<double>(d.count);
  d.variance_population = m2;
  d.variance_sample = d.count > 1 ? m2 * n / (n - 1) : 0;
  d.stddev_population = std::sqrt(d.variance_population);
  d.stddev_sample = std::sqrt(d.variance_sample);
  if (m2 > 0) {
    d.skewness = m3 / std::pow(m2, 1.5);
    d.kurtosis_excess = m4 / (m2 * m2) - 3;
  }
  std::vector<double> sorted(x.begin(), x.end());
  std::sort(sorted.begin(), sorted.end());
  d.median = quantile_sorted(sorted, 0.5);
  return d;
}

double quantile_sorted(std::span<const double> sorted, double p) {
  if (sorted.empty()) return 0;
  const double h = (static_cast<double>(sorted.size()) - 1) * std::clamp(p, 0.0, 1.0);
  const auto i = static_cast<std::size_t>(std::floor(h));
  if (i + 1 >= sorted.size()) return sorted.back();
  return sorted[i] + (h - static_cast<double>(i)) * (sorted[i + 1] - sorted[i]);
}

Result<std::vector<double>> quantiles(std::span<const double> x, std::span<const double> ps) {
  KAIWU_TRY_STATUS(need(x, 1));
  std::vector<double> sorted(x.begin(), x.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> out;
  out.reserve(ps.size());
  for (double p : ps) {
    if (!(p >= 0 && p <= 1)) return fail(Errc::kInvalidArgument, "quantile probabilities must be in [0, 1]");
    out.push_back(quantile_sorted(sorted, p));
  }
  return out;
}

Result<std::vector<double>> ewma(std::span<const double> x, double alpha) {
  KAIWU_TRY_STATUS(need(x, 1));
  if (!(alpha > 0 && alpha <= 1)) return fail(Errc::kInvalidArgument, "alpha must be in (0, 1]");
  std::vector<double> s(x.size());
  s[0] = x[0];
  for (std::size_t i = 1; i < x.size(); ++i) s[i] = alpha * x[i] + (1 - alpha) * s[i - 1];
  return s;
}

Result<EwmaScores> ewma_scores(std::span<const double> x, double alpha, double threshold) {
  KAIWU_TRY_STATUS(need(x, 1));
  if (!(alpha > 0 && alpha <= 1)) return fail(Errc::kInvalidArgument, "alpha must be in (0, 1]");
  EwmaScores out;
  out.mean.resize(x.size());
  out.score.resize(x.size());
  double mean = x[0], var = 0;
  out.mean[0] = mean;
  for (std::size_t i = 1; i < x.size(); ++i) {
    const double d = x[i] - mean;
    const double score = var > 0 ? std::abs(d) / std::sqrt(var) : 0;
    out.score[i] = score;
    if (score > threshold) ++out.anomalies;
    mean += alpha * d;
    var = (1 - alpha) * (var + alpha * d * d);
    out.mean[i] = mean;
  }
  return out;
}

Result<ZScores> zscores(std::span<const double> x, double threshold) {
  KAIWU_TRY_STATUS(need(x, 2));
  const double mean = mean_of(x);
  const double n = static_cast<double>(x.size());
  const double sd = std::sqrt(central_moments(x, mean)[0] * n / (n - 1));
  ZScores out;
  out.z.resize(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double z = sd > 0 ? (x[i] - mean) / sd : 0;
    out.z[i] = z;
    out.max_abs = std::max(out.max_abs, std::abs(z));
    if (std::abs(z) > threshold) ++out.anomalies;
  }
  return out;
}

Result<Fit> polyfit(std::span<const double> x, std::span<const double> y, int degree) {
  if (degree < 1 || degree > 8) return fail(Errc::kInvalidArgument, "degree must be 1..8");
  if (x.size() != y.size()) return fail(Errc::kInvalidArgument, "x and y must have the same length");
  const std::size_t m = x.size();
  const auto p = static_cast<std::size_t>(degree) + 1;
  KAIWU_TRY_STATUS(need(x, p + 1));
  KAIWU_TRY_STATUS(need(y, p + 1));
  // A (m×p, column-major) and b; Householder reflections turn A into R and b into Qᵀb.
  std::vector<double> a(m * p), b(y.begin(), y.end());
  for (std::size_t i = 0; i < m; ++i) {
    double v = 1;
    for (std::size_t j = 0; j < p; ++j, v *= x[i]) a[j * m + i] = v;
  }
  for (std::size_t k = 0; k < p; ++k) {
    double* col = &a[k * m];
    double norm = 0;
    for (std::size_t i = k; i < m; ++i) norm += col[i] * col[i];
    norm = std::sqrt(norm);
    if (norm == 0) return fail(Errc::kInvalidArgument, "x values do not determine the fit (too few distinct x)");
    const double alpha = col[k] > 0 ? -norm : norm;
    col[k] -= alpha;  // v = x - alpha e_k, stored in place
    double vnorm2 = 0;
    for (std::size_t i = k; i < m; ++i) vnorm2 += col[i] * col[i];
    auto reflect = [&](double* target) {
      double dot = 0;
      for (std::size_t i = k; i < m; ++i) dot += col[i] * target[i];
      const double f = 2 * dot / vnorm2;
      for (std::size_t i = k; i < m; ++i) target[i] -= f * col[i];
    };
    for (std::size_t j = k + 1; j < p; ++j) reflect(&a[j * m]);
    reflect(b.data());
    col[k] = alpha;  // R's diagonal; below it is the (no longer needed) reflector
  }
  Fit fit;
  fit.coefficients.assign(p, 0);
  for (std::size_t kk = p; kk-- > 0;) {
    double s = b[kk];
    for (std::size_t j = kk + 1; j < p; ++j) s -= a[j * m + kk] * fit.coefficients[j];
    const double r = a[kk * m + kk];
    if (std::abs(r) < 1e-300) return fail(Errc::kInvalidArgument, "x values do not determine the fit (too few distinct x)");
    fit.coefficients[kk] = s / r;
  }
  const double ymean = mean_of(y);
  double ss_res = 0, ss_tot = 0;
  for (std::size_t i = 0; i < m; ++i) {
    const double r = y[i] - polyval(fit.coefficients, x[i]);
    ss_res += r * r;
    ss_tot += (y[i] - ymean) * (y[i] - ymean);
  }
  fit.r2 = ss_tot > 0 ? 1 - ss_res / ss_tot : (ss_res == 0 ? 1 : 0);
  fit.rmse = std::sqrt(ss_res / static_cast<double>(m));
  return fit;
}

double polyval(std::span<const double> c, double x) {
  double v = 0;
  for (std::size_t j = c.size(); j-- > 0;) v = v * x + c[j];
  return v;
}

namespace {

// In-place iterative radix-2 FFT (Cooley-Tukey, decimation in time); size a power of two.
void fft_in_place(std::vector<std::complex<double>>& a) {
  const std::size_t n = a.size();
  for (std::size_t i = 1, j = 0; i < n; ++i) {
    std::size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (std::size_t len = 2; len <= n; len <<= 1) {
    const double ang = -2 * std::numbers::pi / static_cast<double>(len);
    const std::complex<double> wl(std::cos(ang), std::sin(ang));
    for (std::size_t i = 0; i < n; i += len) {
      std::complex<double> w(1, 0);
      for (std::size_t k = 0; k < len / 2; ++k) {
        const auto u = a[i + k];
        const auto v = a[i + k + len / 2] * w;
        a[i + k] = u + v;
        a[i + k + len / 2] = u - v;
        w *= wl;
      }
    }
  }
}

}  // namespace

Result<Spectrum> amplitude_spectrum(std::span<const double> x, double fs, Window window) {
  KAIWU_TRY_STATUS(need(x, 2));
  if (x.size() > 65536) return fail(Errc::kInvalidArgument, "at most 65536 values");
  if (!(fs > 0) || !std::isfinite(fs)) return fail(Errc::kInvalidArgument, "sample rate must be positive");
  std::size_t n = 1;
  while (n < x.size()) n <<= 1;
  std::vector<std::complex<double>> buf(n);
  double gain = 0;
  const double len = static_cast<double>(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double w = window == Window::kHann
                         ? 0.5 * (1 - std::cos(2 * std::numbers::pi * static_cast<double>(i) / len))
                         : 1.0;
    gain += w;
    buf[i] = x[i] * w;
  }
  fft_in_place(buf);
  Spectrum s;
  s.fft_size = n;
  s.bin_hz = fs / static_cast<double>(n);
  const std::size_t half = n / 2;
  s.frequency.resize(half + 1);
  s.amplitude.resize(half + 1);
  for (std::size_t k = 0; k <= half; ++k) {
    const double scale = (k == 0 || k == half) ? 1.0 : 2.0;
    s.frequency[k] = static_cast<double>(k) * s.bin_hz;
    s.amplitude[k] = scale * std::abs(buf[k]) / gain;
    if (k > 0 && s.amplitude[k] > s.peak_amplitude) {
      s.peak_amplitude = s.amplitude[k];
      s.peak_frequency = s.frequency[k];
    }
  }
  return s;
}

double band_energy(const Spectrum& s, double lo, double hi) {
  double e = 0;
  for (std::size_t k = 0; k < s.frequency.size(); ++k) {
    if (s.frequency[k] < lo || s.frequency[k] >= hi) continue;
    const double a = s.amplitude[k];
    e += k == 0 ? a * a : a * a / 2;
  }
  return e;
}

Result<Vibration> vibration(std::span<const double> x) {
  KAIWU_TRY_STATUS(need(x, 2));
  Vibration v;
  double sq = 0, lo = x[0], hi = x[0];
  for (double s : x) {
    sq += s * s;
    v.peak = std::max(v.peak, std::abs(s));
    lo = std::min(lo, s);
    hi = std::max(hi, s);
  }
  v.rms = std::sqrt(sq / static_cast<double>(x.size()));
  v.peak_to_peak = hi - lo;
  v.crest_factor = v.rms > 0 ? v.peak / v.rms : 0;
  const auto [m2, m3, m4] = central_moments(x, mean_of(x));
  (void)m3;
  v.kurtosis = m2 > 0 ? m4 / (m2 * m2) : 0;
  return v;
}

}  // namespace kaiwu::models
