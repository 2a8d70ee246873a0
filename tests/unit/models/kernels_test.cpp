// Kernels against independently computed references: python3's statistics module (values pasted
// with the call that produced them), hand-worked cases, closed-form results and the published
// SPC tables re-derived by numerical integration.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

#include "models/kernels.hpp"
#include "models/ode.hpp"

namespace kaiwu::models {
namespace {

const std::vector<double> kSample{2.5, 3.1, 4.7, 1.2, 5.5, 3.3, 2.8, 4.1, 3.9, 2.2};

TEST(Describe, MatchesPythonStatistics) {
  auto d = describe(kSample);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->count, 10u);
  EXPECT_NEAR(d->mean, 3.33, 1e-12);                      // statistics.fmean
  EXPECT_NEAR(d->variance_sample, 1.5934444444444444, 1e-12);  // statistics.variance
  EXPECT_NEAR(d->variance_population, 1.4341, 1e-12);     // statistics.pvariance
  EXPECT_NEAR(d->stddev_sample, 1.2623170934612447, 1e-12);
  EXPECT_NEAR(d->stddev_population, 1.1975391434103522, 1e-12);
  EXPECT_DOUBLE_EQ(d->median, 3.2);
  EXPECT_DOUBLE_EQ(d->min, 1.2);
  EXPECT_DOUBLE_EQ(d->max, 5.5);
  EXPECT_NEAR(d->skewness, 0.09270108589614702, 1e-12);
  EXPECT_NEAR(d->kurtosis_excess, -0.6211812055006272, 1e-12);
  // statistics.quantiles(x, n=4, method="inclusive") == [2.575, 3.2, 4.05]
  const std::vector<double> ps{0.25, 0.5, 0.75};
  auto q = quantiles(kSample, ps);
  ASSERT_TRUE(q);
  EXPECT_NEAR((*q)[0], 2.575, 1e-12);
  EXPECT_NEAR((*q)[1], 3.2, 1e-12);
  EXPECT_NEAR((*q)[2], 4.05, 1e-12);
}

TEST(Describe, HandCases) {
  const std::vector<double> x{1, 2, 3, 4};
  auto d = describe(x);
  ASSERT_TRUE(d);
  EXPECT_DOUBLE_EQ(d->mean, 2.5);
  EXPECT_NEAR(d->variance_sample, 5.0 / 3, 1e-15);
  EXPECT_DOUBLE_EQ(d->median, 2.5);
  EXPECT_NEAR(d->skewness, 0, 1e-15);  // symmetric
  EXPECT_FALSE(describe(std::vector<double>{}));
  EXPECT_FALSE(describe(std::vector<double>{1, NAN}));
  const std::vector<double> bad{2};
  EXPECT_FALSE(quantiles(x, bad));
}

TEST(Anomaly, EwmaByHand) {
  auto s = ewma(std::vector<double>{1, 2, 3}, 0.5);
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, (std::vector<double>{1, 1.5, 2.25}));
  EXPECT_FALSE(ewma(std::vector<double>{1}, 0));
  // Scores: after a steady-ish start a jump scores high.
  std::vector<double> x{10, 11, 10, 11, 10, 11, 10, 11, 10, 30};
  auto sc = ewma_scores(x, 0.3, 3);
  ASSERT_TRUE(sc);
  EXPECT_EQ(sc->anomalies, 1u);
  EXPECT_GT(sc->score.back(), 3);
  // Second sample by hand: mean 10, var 0 → score 0; then mean 10.3, var 0.7*(0+0.3*1)=0.21.
  EXPECT_EQ(sc->score[1], 0);
  EXPECT_NEAR(sc->score[2], std::abs(10 - 10.3) / std::sqrt(0.21), 1e-12);
}

TEST(Anomaly, ZScores) {
  auto z = zscores(std::vector<double>{1, 2, 3, 4, 5}, 1.2);
  ASSERT_TRUE(z);
  const double sd = std::sqrt(2.5);  // statistics.stdev([1,2,3,4,5])
  EXPECT_NEAR(z->z[4], 2 / sd, 1e-12);
  EXPECT_NEAR(z->z[0], -2 / sd, 1e-12);
  EXPECT_EQ(z->anomalies, 2u);
  EXPECT_NEAR(z->max_abs, 2 / sd, 1e-12);
}

TEST(Regression, LinearMatchesPython) {
  const std::vector<double> x{1, 2, 3, 4, 5, 6}, y{2.1, 3.9, 6.2, 7.8, 10.1, 12.2};
  auto f = polyfit(x, y, 1);
  ASSERT_TRUE(f);
  // statistics.linear_regression(x, y) == (slope=2.02, intercept=-0.02);
  // statistics.correlation(x, y) ** 2 == 0.9982106661074999
  EXPECT_NEAR(f->coefficients[1], 2.02, 1e-12);
  EXPECT_NEAR(f->coefficients[0], -0.02, 1e-12);
  EXPECT_NEAR(f->r2, 0.9982106661074999, 1e-12);
}

TEST(Regression, PolynomialRecoversExactCubic) {
  std::vector<double> x, y;
  for (int i = -10; i <= 10; ++i) {
    const double v = i * 0.7;
    x.push_back(v);
    y.push_back(1 - 2 * v + 0.5 * v * v + 0.25 * v * v * v);
  }
  auto f = polyfit(x, y, 3);
  ASSERT_TRUE(f);
  EXPECT_NEAR(f->coefficients[0], 1, 1e-10);
  EXPECT_NEAR(f->coefficients[1], -2, 1e-10);
  EXPECT_NEAR(f->coefficients[2], 0.5, 1e-10);
  EXPECT_NEAR(f->coefficients[3], 0.25, 1e-10);
  EXPECT_NEAR(f->r2, 1, 1e-12);
  EXPECT_NEAR(f->rmse, 0, 1e-9);
  EXPECT_FALSE(polyfit(std::vector<double>{1, 1, 1, 1}, std::vector<double>{1, 2, 3, 4}, 1));
  EXPECT_FALSE(polyfit(std::vector<double>{1, 2}, std::vector<double>{1, 2}, 1));
}

std::vector<double> sine(std::size_t n, double fs, double f, double a, double offset = 0) {
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = offset + a * std::sin(2 * std::numbers::pi * f * static_cast<double>(i) / fs);
  return x;
}

TEST(Spectrum, PureSineLandsInItsBin) {
  const auto x = sine(1024, 1024, 50, 2, 3);
  auto s = amplitude_spectrum(x, 1024, Window::kNone);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->fft_size, 1024u);
  EXPECT_DOUBLE_EQ(s->bin_hz, 1);
  EXPECT_DOUBLE_EQ(s->peak_frequency, 50);
  EXPECT_NEAR(s->peak_amplitude, 2, 1e-9);
  EXPECT_NEAR(s->amplitude[0], 3, 1e-9);  // DC
  EXPECT_NEAR(s->amplitude[49], 0, 1e-9);
  EXPECT_NEAR(s->amplitude[51], 0, 1e-9);
  EXPECT_NEAR(band_energy(*s, 40, 60), 2, 1e-9);  // A²/2, the sine's squared RMS
  EXPECT_NEAR(band_energy(*s, 100, 512), 0, 1e-9);
  // Hann spreads a DC offset into bin 1 too, so the windowed case has none.
  auto h = amplitude_spectrum(sine(1024, 1024, 50, 2), 1024, Window::kHann);
  ASSERT_TRUE(h);
  EXPECT_NEAR(h->peak_amplitude, 2, 1e-9);  // coherent gain corrected
  EXPECT_NEAR(h->amplitude[49], 1, 1e-9);   // Hann leaks half into each neighbour
  EXPECT_NEAR(band_energy(*h, 40, 60), 3, 1e-9);  // ENBW of Hann = 1.5 bins
}

TEST(Spectrum, ZeroPadsToPowerOfTwo) {
  auto s = amplitude_spectrum(sine(1000, 1000, 125, 1), 1000, Window::kHann);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->fft_size, 1024u);
  EXPECT_NEAR(s->peak_frequency, 125, s->bin_hz);
  EXPECT_FALSE(amplitude_spectrum(std::vector<double>{1}, 100, Window::kNone));
  EXPECT_FALSE(amplitude_spectrum(std::vector<double>{1, 2}, 0, Window::kNone));
}

TEST(Vibration, SineAndSquare) {
  auto v = vibration(sine(1000, 1000, 10, 3));
  ASSERT_TRUE(v);
  EXPECT_NEAR(v->rms, 3 / std::sqrt(2), 1e-9);
  EXPECT_NEAR(v->peak, 3, 1e-9);
  EXPECT_NEAR(v->crest_factor, std::sqrt(2), 1e-9);
  EXPECT_NEAR(v->kurtosis, 1.5, 1e-9);  // kurtosis of a sine
  std::vector<double> sq;
  for (int i = 0; i < 100; ++i) sq.push_back(i % 2 ? 1 : -1);
  auto q = vibration(sq);
  ASSERT_TRUE(q);
  EXPECT_DOUBLE_EQ(q->crest_factor, 1);
  EXPECT_DOUBLE_EQ(q->kurtosis, 1);
  EXPECT_DOUBLE_EQ(q->peak_to_peak, 2);
}

// Expected range of n standard normals and its standard deviation by numerical integration:
// d2 = ∫ 1 − Φ(x)^n − (1 − Φ(x))^n dx; P(W > w) = 1 − n ∫ φ(x) [Φ(x + w) − Φ(x)]^(n−1) dx.
double phi(double x) { return std::exp(-x * x / 2) / std::sqrt(2 * std::numbers::pi); }
double cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2)); }
std::pair<double, double> range_moments(int n) {
  const double dx = 0.02;
  double d2 = 0;
  for (double x = -8; x <= 8; x += dx) d2 += (1 - std::pow(cdf(x), n) - std::pow(1 - cdf(x), n)) * dx;
  double ew2 = 0;
  for (double w = dx / 2; w < 10; w += dx) {
    double inner = 0;
    for (double x = -8; x <= 8; x += dx) inner += phi(x) * std::pow(cdf(x + w) - cdf(x), n - 1) * dx;
    ew2 += 2 * w * (1 - n * inner) * dx;
  }
  return {d2, std::sqrt(ew2 - d2 * d2)};
}

TEST(Spc, TextbookConstantsForFive) {
  auto c = spc_constants(5);
  ASSERT_TRUE(c);
  EXPECT_DOUBLE_EQ(c->a2, 0.577);
  EXPECT_DOUBLE_EQ(c->d3, 0);
  EXPECT_DOUBLE_EQ(c->d4, 2.114);
  EXPECT_DOUBLE_EQ(c->d2, 2.326);
  EXPECT_NEAR(c->c4, 0.9400, 5e-5);
  EXPECT_DOUBLE_EQ(c->a3, 1.427);
  EXPECT_DOUBLE_EQ(c->b3, 0);
  EXPECT_DOUBLE_EQ(c->b4, 2.089);
  EXPECT_FALSE(spc_constants(1));
  EXPECT_FALSE(spc_constants(26));
}

TEST(Spc, TableAgreesWithNumericalIntegration) {
  for (int n = 2; n <= 25; ++n) {
    auto c = spc_constants(n);
    ASSERT_TRUE(c);
    const auto [d2, d3] = range_moments(n);
    EXPECT_NEAR(c->d2, d2, 0.0015) << "n=" << n;
    EXPECT_NEAR(c->a2, 3 / (d2 * std::sqrt(n)), 0.0015) << "n=" << n;
    EXPECT_NEAR(c->d4, 1 + 3 * d3 / d2, 0.003) << "n=" << n;
    EXPECT_NEAR(c->d3, std::max(0.0, 1 - 3 * d3 / d2), 0.003) << "n=" << n;
  }
}

TEST(Spc, XbarRAndIndividualsByHand) {
  const std::vector<double> x{1, 2, 3, 2, 3, 4};
  auto r = control_limits(x, Chart::kXbarR, 3);
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->center, 2.5);
  EXPECT_DOUBLE_EQ(r->dispersion_center, 2);
  EXPECT_NEAR(r->ucl, 2.5 + 1.023 * 2, 1e-12);
  EXPECT_NEAR(r->lcl, 2.5 - 1.023 * 2, 1e-12);
  EXPECT_NEAR(r->dispersion_ucl, 2.574 * 2, 1e-12);
  EXPECT_NEAR(r->sigma_within, 2 / 1.693, 1e-12);
  auto s = control_limits(x, Chart::kXbarS, 3);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->dispersion_center, 1);  // both subgroups have sample sd 1
  EXPECT_NEAR(s->ucl, 2.5 + 1.954, 1e-12);
  EXPECT_NEAR(s->dispersion_ucl, 2.568, 1e-12);
  auto i = control_limits(std::vector<double>{1, 3, 2, 4}, Chart::kIndividuals, 1);
  ASSERT_TRUE(i);
  EXPECT_NEAR(i->dispersion_center, 5.0 / 3, 1e-12);
  EXPECT_NEAR(i->ucl, 2.5 + 3 * (5.0 / 3) / 1.128, 1e-12);
  EXPECT_NEAR(i->dispersion_ucl, 3.267 * 5.0 / 3, 1e-12);
  EXPECT_FALSE(control_limits(std::vector<double>{1, 2, 3}, Chart::kXbarR, 3));
}

TEST(Spc, CapabilityByHand) {
  const std::vector<double> x{9.9, 10.1, 10.0, 10.2, 9.8, 10.0, 10.1, 9.9};
  auto c = capability(x, 9.4, 10.6, Chart::kXbarR, 2);
  ASSERT_TRUE(c);
  // Ranges 0.2, 0.2, 0.2, 0.2 → R̄ = 0.2, σw = 0.2 / 1.128; mean 10.0; σo = statistics.stdev(x).
  const double sw = 0.2 / 1.128;
  const double so = 0.13093073414159495;  // statistics.stdev(x)
  EXPECT_NEAR(c->mean, 10.0, 1e-12);
  EXPECT_NEAR(c->cp, 1.2 / (6 * sw), 1e-9);
  EXPECT_NEAR(c->cpk, 0.6 / (3 * sw), 1e-9);
  EXPECT_NEAR(c->pp, 1.2 / (6 * so), 1e-9);
  EXPECT_NEAR(c->ppk, 0.6 / (3 * so), 1e-9);
  EXPECT_FALSE(capability(x, 10, 9, Chart::kXbarR, 2));
}

std::vector<double> weibull_sample(double shape, double scale, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> t(n);
  for (auto& v : t) {
    const double u = (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;  // (0, 1)
    v = scale * std::pow(-std::log(1 - u), 1 / shape);
  }
  return t;
}

TEST(Weibull, RecoversShapeAndScale) {
  const auto t = weibull_sample(2.5, 1000, 5000, 42);
  auto w = weibull_fit(t, {});
  ASSERT_TRUE(w);
  EXPECT_NEAR(w->shape, 2.5, 0.1);
  EXPECT_NEAR(w->scale, 1000, 20);
  EXPECT_EQ(w->failures, 5000u);
  EXPECT_NEAR(weibull_reliability(w->shape, w->scale, w->b10), 0.9, 1e-9);
  EXPECT_NEAR(w->mttf, w->scale * std::tgamma(1 + 1 / w->shape), 1e-9);
}

TEST(Weibull, RecoversWithCensoring) {
  auto t = weibull_sample(1.8, 500, 4000, 7);
  std::unique_ptr<bool[]> cens(new bool[t.size()]);
  std::size_t suspended = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    cens[i] = t[i] > 600;  // test stopped at 600 h: the survivors are suspensions
    if (cens[i]) {
      t[i] = 600;
      ++suspended;
    }
  }
  auto w = weibull_fit(t, std::span<const bool>(cens.get(), t.size()));
  ASSERT_TRUE(w);
  EXPECT_GT(suspended, 500u);
  EXPECT_EQ(w->censored, suspended);
  EXPECT_NEAR(w->shape, 1.8, 0.1);
  EXPECT_NEAR(w->scale, 500, 15);
}

TEST(Weibull, ExactTwoPointCaseAndErrors) {
  // Two failures at 1 and e: g(β) = (e^β)/(1+e^β) − 1/β − 1/2 = 0 solved independently by
  // bisection in python gives β = 2.9931...; check the likelihood equation holds instead.
  auto w = weibull_fit(std::vector<double>{1, std::exp(1.0)}, {});
  ASSERT_TRUE(w);
  const double b = w->shape;
  EXPECT_NEAR(std::exp(b) / (1 + std::exp(b)) - 1 / b - 0.5, 0, 1e-9);
  EXPECT_NEAR(w->scale, std::pow((1 + std::exp(b)) / 2, 1 / b), 1e-9);
  EXPECT_FALSE(weibull_fit(std::vector<double>{1}, {}));
  EXPECT_FALSE(weibull_fit(std::vector<double>{1, -2}, {}));
  EXPECT_FALSE(weibull_fit(std::vector<double>{3, 3, 3}, {}));
}

TEST(Ode, Rk4MatchesExponential) {
  Derivative f = [](double, std::span<const double> y, std::span<double> dy) -> Status {
    dy[0] = -y[0];
    return ok();
  };
  auto tr = rk4(f, std::vector<double>{1}, 0, 0.01, 100);
  ASSERT_TRUE(tr);
  EXPECT_NEAR(tr->t.back(), 1, 1e-12);
  EXPECT_NEAR(tr->state[0].back(), std::exp(-1.0), 1e-6);
  EXPECT_NEAR(tr->state[0][50], std::exp(-0.5), 1e-6);
  EXPECT_FALSE(rk4(f, std::vector<double>{1}, 0, 0, 10));
  EXPECT_FALSE(rk4(f, std::vector<double>{}, 0, 0.1, 10));
}

TEST(Ode, ThermalAndSpringMatchClosedForms) {
  // T(t) = Ta + PR + (T0 − Ta − PR) e^(−t/RC)
  auto th = rk4(thermal_rhs(1000, 0.5, 100, 20), std::vector<double>{20}, 0, 1, 600);
  ASSERT_TRUE(th);
  EXPECT_NEAR(th->state[0].back(), 20 + 50 - 50 * std::exp(-600.0 / 500), 1e-6);
  // Undamped, m = k = 1, x0 = 1: x = cos t, v = −sin t.
  auto sm = rk4(spring_mass_damper_rhs(1, 0, 1, 0), std::vector<double>{1, 0}, 0, 0.01, 1000);
  ASSERT_TRUE(sm);
  EXPECT_NEAR(sm->state[0].back(), std::cos(10.0), 1e-6);
  EXPECT_NEAR(sm->state[1].back(), -std::sin(10.0), 1e-6);
}

}  // namespace
}  // namespace kaiwu::models
