// Built-in numerical kernels of the industrial model catalogue: plain functions over spans of
// doubles, no I/O, no state. Each allocates only its result (and, for the FFT, one work buffer of
// the transform size); inner loops do not allocate.
//
// Errors: kInvalidArgument naming the problem ("needs at least 2 values", "subgroup size must be
// 2..25") — the runtime prefixes the input or parameter name.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <vector>

#include "core/result.hpp"

namespace kaiwu::models {

// ---- Descriptive statistics -------------------------------------------------------------------

struct Descriptive {
  std::size_t count = 0;
  double mean = 0, min = 0, max = 0, sum = 0;
  double variance_sample = 0, variance_population = 0;  // n-1 and n denominators
  double stddev_sample = 0, stddev_population = 0;
  double median = 0;
  double skewness = 0;         // g1 = m3 / m2^1.5 (population moments)
  double kurtosis_excess = 0;  // g2 = m4 / m2^2 - 3
};
// Needs at least one value (variance_sample, skewness and kurtosis are 0 below 2 values).
Result<Descriptive> describe(std::span<const double> x);

// Quantile p in [0,1] by linear interpolation between order statistics (Hyndman-Fan type 7,
// python's statistics.quantiles(method="inclusive"), numpy's default). sorted must be ascending.
double quantile_sorted(std::span<const double> sorted, double p);
Result<std::vector<double>> quantiles(std::span<const double> x, std::span<const double> ps);

// ---- Anomaly scores ---------------------------------------------------------------------------

// s0 = x0, s_i = alpha*x_i + (1-alpha)*s_{i-1}; 0 < alpha <= 1.
Result<std::vector<double>> ewma(std::span<const double> x, double alpha);

struct EwmaScores {
  std::vector<double> mean;   // EWMA after each sample
  std::vector<double> score;  // |x_i - mean_{i-1}| / sqrt(var_{i-1}); 0 while var is 0
  std::size_t anomalies = 0;  // scores above the threshold
};
// Exponentially weighted mean and variance (var_i = (1-a)(var_{i-1} + a d^2), d = x_i - mean_{i-1}).
Result<EwmaScores> ewma_scores(std::span<const double> x, double alpha, double threshold);

struct ZScores {
  std::vector<double> z;      // (x_i - mean) / sample stddev
  std::size_t anomalies = 0;  // |z| above the threshold
  double max_abs = 0;
};
Result<ZScores> zscores(std::span<const double> x, double threshold);

// ---- Regression -------------------------------------------------------------------------------

struct Fit {
  std::vector<double> coefficients;  // c0 + c1 x + c2 x^2 + …
  double r2 = 0;                     // 1 - SS_res / SS_tot (1 when y is constant and fitted)
  double rmse = 0;                   // sqrt(SS_res / n)
};
// Ordinary least squares by Householder QR on the Vandermonde matrix (no normal equations).
// degree 1..8; needs more points than coefficients and x not all equal.
Result<Fit> polyfit(std::span<const double> x, std::span<const double> y, int degree);
double polyval(std::span<const double> coefficients, double x);

// ---- Spectrum and vibration -------------------------------------------------------------------

enum class Window { kNone, kHann };

struct Spectrum {
  double bin_hz = 0;               // frequency resolution fs / N
  std::size_t fft_size = 0;        // N: input length rounded up to a power of two (zero padded)
  std::vector<double> frequency;   // k * bin_hz, k = 0..N/2
  std::vector<double> amplitude;   // single-sided amplitude, window gain corrected: a sine of
                                   // amplitude A centred on a bin reads A there
  double peak_frequency = 0, peak_amplitude = 0;  // largest bin above DC
};
// Real input of 2..65536 values sampled at sample_rate_hz.
Result<Spectrum> amplitude_spectrum(std::span<const double> x, double sample_rate_hz, Window w);
// Mean-square power in [lo, hi) Hz: sum of amplitude^2 / 2 over the bins in it (DC counts fully);
// a sine of amplitude A in the band gives A^2/2, its squared RMS.
double band_energy(const Spectrum& s, double lo_hz, double hi_hz);

struct Vibration {
  double rms = 0, peak = 0, peak_to_peak = 0, crest_factor = 0;
  double kurtosis = 0;  // m4 / m2^2 about the mean (3 for a Gaussian signal)
};
Result<Vibration> vibration(std::span<const double> x);

// ---- SPC and capability -----------------------------------------------------------------------

struct SpcConstants {
  double a2 = 0, d3 = 0, d4 = 0, d2 = 0;  // X̄-R (table, ASTM E2587 / Montgomery Appendix VI)
  double a3 = 0, b3 = 0, b4 = 0, c4 = 0;  // X̄-S (from c4 = sqrt(2/(n-1)) Γ(n/2)/Γ((n-1)/2))
};
// Subgroup size 2..25.
Result<SpcConstants> spc_constants(int n);

struct ControlLimits {
  double center = 0, ucl = 0, lcl = 0;                      // X̄ (or individuals) chart
  double dispersion_center = 0, dispersion_ucl = 0, dispersion_lcl = 0;  // R, S or MR chart
  double sigma_within = 0;                                  // R̄/d2, S̄/c4 or MR̄/d2(2)
  std::size_t subgroups = 0;
  std::size_t out_of_control = 0;  // subgroup means (individuals) outside [lcl, ucl]
};
enum class Chart { kXbarR, kXbarS, kIndividuals };
// Consecutive subgroups of n values (a trailing partial subgroup is ignored); individuals use
// moving ranges of 2. At least 2 subgroups (individuals: 2 values).
Result<ControlLimits> control_limits(std::span<const double> x, Chart chart, int n);

struct Capability {
  double cp = 0, cpk = 0, pp = 0, ppk = 0;
  double mean = 0, sigma_within = 0, sigma_overall = 0;
};
// sigma_within from the chart's estimate; sigma_overall the sample stddev. usl > lsl.
Result<Capability> capability(std::span<const double> x, double lsl, double usl, Chart chart, int n);

// ---- Reliability ------------------------------------------------------------------------------

struct Weibull {
  double shape = 0, scale = 0;  // beta, eta
  double b10 = 0;               // time by which 10 % fail
  double mttf = 0;              // eta * Γ(1 + 1/beta)
  std::size_t failures = 0, censored = 0;
  int iterations = 0;
};
// Maximum-likelihood fit; censored[i] true marks a suspension (right-censored at times[i]).
// censored may be empty (all failures). Needs 2+ failures, positive times, not all equal.
Result<Weibull> weibull_fit(std::span<const double> times, std::span<const bool> censored);
double weibull_reliability(double shape, double scale, double t);  // exp(-(t/eta)^beta)

}  // namespace kaiwu::models
