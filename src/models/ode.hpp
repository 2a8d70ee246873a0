// Fixed-step fourth-order Runge-Kutta for simulation models, with built-in right-hand sides.
// The right-hand side is any function (a built-in below or a Lua function through
// rules::Sandbox::run_ode); integration stops at the first error it returns.
#pragma once

#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace kaiwu::models {

// dy = f(t, y); y and dy have the state's dimension.
using Derivative = std::function<Status(double t, std::span<const double> y, std::span<double> dy)>;

struct Trajectory {
  std::vector<double> t;                   // steps + 1 times, t0 … t0 + steps*h
  std::vector<std::vector<double>> state;  // state[i] is the series of component i
};

inline constexpr std::size_t kMaxOdeSteps = 100'000;

// steps in 1..kMaxOdeSteps, h > 0, y0 non-empty (dimension ≤ 16).
Result<Trajectory> rk4(const Derivative& f, std::span<const double> y0, double t0, double h, std::size_t steps);

// First-order thermal model: C dT/dt = P − (T − Ta)/R (C J/K, R K/W, P W, Ta °C).
Derivative thermal_rhs(double capacity, double resistance, double power, double ambient);
// Spring-mass-damper: m x'' + c x' + k x = F, state (x, v).
Derivative spring_mass_damper_rhs(double mass, double damping, double stiffness, double force);

}  // namespace kaiwu::models
