// Model packages: the manifest that describes an industrial model (identity, semver version,
// zh/en names, MIIT type, typed inputs/outputs/parameters with units and ranges, publisher,
// tags) and its implementation: a built-in C++ kernel by name, a Lua script run in the rules
// sandbox (optionally as the right-hand side of an RK4-integrated ODE), or a workflow.
//
// Manifest JSON (camelCase):
//   {"id": "acme.boiler.efficiency", "version": "1.2.0",
//    "name": {"zh": "锅炉效率", "en": "Boiler efficiency"}, "description": {"zh": …, "en": …},
//    "type": "mechanism",            // research_simulation | business_process | mechanism | data_algorithm
//    "inputs":  [{"name": "x", "type": "series", "unit": "°C", "description": …, "required": true}],
//    "outputs": [{"name": "mean", "type": "number", "unit": "°C"}],
//    "parameters": [{"name": "alpha", "type": "number", "unit": "", "default": 0.3, "min": 0, "max": 1,
//                    "options": […] (strings only)}],
//    "author": "…", "publisher": "…", "tags": […], "industries": […],
//    "implementation": {"kind": "builtin", "kernel": "stats.describe"}
//                    | {"kind": "lua", "script": "…", "ode": {"state": ["T"]}}
//                    | {"kind": "workflow", "workflow": {…workflow.hpp…}}}
//
// Value types: number | series (array of numbers) | string | bool.
// Errors: parse_manifest collects every problem as "<JSON pointer>: why" ("/inputs/0/type: must
// be one of number, series, string, bool").
#pragma once

#include <boost/json/value.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "models/workflow.hpp"

namespace kaiwu::models {

enum class ModelType : std::uint8_t { kResearchSimulation, kBusinessProcess, kMechanism, kDataAlgorithm };
std::string_view model_type_name(ModelType t);        // "research_simulation", …
std::string_view model_type_label_zh(ModelType t);    // "研发仿真", …
std::optional<ModelType> parse_model_type(std::string_view s);
inline constexpr ModelType kAllModelTypes[] = {ModelType::kResearchSimulation, ModelType::kBusinessProcess,
                                               ModelType::kMechanism, ModelType::kDataAlgorithm};

enum class ValueType : std::uint8_t { kNumber, kSeries, kString, kBool };
std::string_view value_type_name(ValueType t);

// A value given to or produced by a model.
using Value = std::variant<double, std::vector<double>, std::string, bool>;
using Values = std::map<std::string, Value, std::less<>>;

struct Port {  // an input or an output
  std::string name;
  ValueType type = ValueType::kNumber;
  std::string unit;
  std::string description;
  bool required = true;  // inputs only
};

struct Parameter {
  std::string name;
  ValueType type = ValueType::kNumber;
  std::string unit;
  std::string description;
  std::optional<Value> default_value;  // absent: the caller must give it
  std::optional<double> min, max;      // numbers (and every element of a series)
  std::vector<std::string> options;    // strings: the allowed values (empty = any)
};

struct Semver {
  int major = 0, minor = 0, patch = 0;
  std::string prerelease;
  auto operator<=>(const Semver&) const = default;
};
std::optional<Semver> parse_semver(std::string_view s);  // MAJOR.MINOR.PATCH[-pre]
// Orders by precedence (a prerelease sorts before its release).
int compare_semver(const Semver& a, const Semver& b);

enum class ImplKind : std::uint8_t { kBuiltin, kLua, kWorkflow };

struct Manifest {
  std::string id, version;
  Semver semver;
  std::string name_zh, name_en, description_zh, description_en;
  ModelType type = ModelType::kDataAlgorithm;
  std::vector<Port> inputs, outputs;
  std::vector<Parameter> parameters;
  std::string author, publisher;
  std::vector<std::string> tags, industries;
  ImplKind kind = ImplKind::kBuiltin;
  std::string kernel;                   // builtin
  std::string script;                   // lua
  std::vector<std::string> ode_state;   // lua: non-empty → the script's rhs(t, y, p) is integrated
  std::optional<Workflow> workflow;     // workflow
  boost::json::value json;              // the manifest as given (normalised: defaults filled)
};

// Parses and validates; on failure kInvalidArgument whose message lists every problem
// ("/version: must be a semantic version like 1.2.0; /inputs/1/name: duplicate input x").
// problems, when given, receives them one by one.
Result<Manifest> parse_manifest(const boost::json::value& v, std::vector<std::string>* problems = nullptr);

// Checks the given inputs and parameters against the manifest and fills parameter defaults.
// kInvalidArgument "inputs.x: must be an array of numbers", "parameters.alpha: must be ≤ 1",
// "inputs.y: is required", "inputs.z: not an input of this model".
Result<Values> bind_inputs(const Manifest& m, const Values& given);
Result<Values> bind_parameters(const Manifest& m, const Values& given);
// Every declared output present with its declared type (numbers accept integers); extra
// outputs are dropped. kInvalidArgument "output x: …".
Result<Values> check_outputs(const Manifest& m, Values produced);

// JSON ↔ Value. from_json: number, array of numbers, string, bool; anything else
// kInvalidArgument "<where>: must be a number, an array of numbers, a string or a boolean".
Result<Value> value_from_json(const boost::json::value& v, std::string_view where);
boost::json::value value_to_json(const Value& v);

inline constexpr std::size_t kMaxSeriesValues = 1'000'000;

}  // namespace kaiwu::models
