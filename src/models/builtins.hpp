// The built-in kernels by name, and the manifests of the built-in models that the platform
// publishes to every tenant (public models, ids "kaiwu.*").
#pragma once

#include <boost/json/value.hpp>

#include <string_view>
#include <vector>

#include "models/manifest.hpp"

namespace kaiwu::models {

// Runs a kernel on bound inputs and parameters (manifest-checked: declared names, types,
// ranges, defaults filled). kInvalidArgument naming the input or parameter on bad data.
using Kernel = Result<Values> (*)(const Values& inputs, const Values& params);

// nullptr for an unknown name. Names: stats.describe, anomaly.ewma, anomaly.zscore,
// regression.linear, regression.polynomial, spectrum.fft, vibration.features, spc.chart,
// spc.capability, reliability.weibull, ode.thermal, ode.spring_mass_damper.
const Kernel* find_kernel(std::string_view name);
std::vector<std::string_view> kernel_names();

// The built-in models' manifests: one per kernel plus a workflow example (maintenance work
// order). Each parses with parse_manifest (a unit test holds this).
std::vector<boost::json::value> builtin_manifests();

}  // namespace kaiwu::models
