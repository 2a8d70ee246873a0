#include "models/ode.hpp"

#include <cmath>

namespace kaiwu::models {

Result<Trajectory> rk4(const Derivative& f, std::span<const double> y0, double t0, double h, std::size_t steps) {
  if (!(h > 0) || !std::isfinite(h)) return fail(Errc::kInvalidArgument, "step h must be positive");
  if (steps < 1 || steps > kMaxOdeSteps)
    return fail(Errc::kInvalidArgument, "steps must be 1..100000 (duration / h)");
  const std::size_t d = y0.size();
  if (d < 1 || d > 16) return fail(Errc::kInvalidArgument, "state dimension must be 1..16");
  Trajectory out;
  out.t.resize(steps + 1);
  out.state.assign(d, std::vector<double>(steps + 1));
  // Work vectors, allocated once.
  std::vector<double> y(y0.begin(), y0.end()), k1(d), k2(d), k3(d), k4(d), tmp(d);
  for (std::size_t j = 0; j < d; ++j) out.state[j][0] = y[j];
  out.t[0] = t0;
  for (std::size_t s = 0; s < steps; ++s) {
    const double t = t0 + static_cast<double>(s) * h;
    KAIWU_TRY_STATUS(f(t, y, k1));
    for (std::size_t j = 0; j < d; ++j) tmp[j] = y[j] + h / 2 * k1[j];
    KAIWU_TRY_STATUS(f(t + h / 2, tmp, k2));
    for (std::size_t j = 0; j < d; ++j) tmp[j] = y[j] + h / 2 * k2[j];
    KAIWU_TRY_STATUS(f(t + h / 2, tmp, k3));
    for (std::size_t j = 0; j < d; ++j) tmp[j] = y[j] + h * k3[j];
    KAIWU_TRY_STATUS(f(t + h, tmp, k4));
    for (std::size_t j = 0; j < d; ++j) {
      y[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
      if (!std::isfinite(y[j])) return fail(Errc::kInvalidArgument, "the solution diverged (not finite)");
      out.state[j][s + 1] = y[j];
    }
    out.t[s + 1] = t0 + static_cast<double>(s + 1) * h;
  }
  return out;
}

Derivative thermal_rhs(double capacity, double resistance, double power, double ambient) {
  return [=](double, std::span<const double> y, std::span<double> dy) -> Status {
    dy[0] = (power - (y[0] - ambient) / resistance) / capacity;
    return ok();
  };
}

Derivative spring_mass_damper_rhs(double mass, double damping, double stiffness, double force) {
  return [=](double, std::span<const double> y, std::span<double> dy) -> Status {
    dy[0] = y[1];
    dy[1] = (force - damping * y[1] - stiffness * y[0]) / mass;
    return ok();
  };
}

}  // namespace kaiwu::models
