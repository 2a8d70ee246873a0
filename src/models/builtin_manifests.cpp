// Manifests of the built-in models (public, platform-wide, ids "kaiwu.*").
#include <boost/json.hpp>

#include "models/builtins.hpp"

namespace kaiwu::models {
namespace json = boost::json;
namespace {

struct P {
  const char* name;
  const char* type;
  const char* unit;
  const char* description;
};

json::array ports(std::initializer_list<P> ps, bool optional_last = false) {
  json::array a;
  std::size_t i = 0;
  for (const auto& p : ps) {
    json::object o{{"name", p.name}, {"type", p.type}, {"unit", p.unit}, {"description", p.description}};
    if (optional_last && ++i == ps.size()) o["required"] = false;
    a.push_back(std::move(o));
  }
  return a;
}

json::object param(const char* name, const char* type, const char* unit, json::value def, const char* description,
                   std::optional<double> min = std::nullopt, std::optional<double> max = std::nullopt) {
  json::object o{{"name", name}, {"type", type}, {"unit", unit}, {"description", description}};
  if (!def.is_null()) o["default"] = std::move(def);
  if (min) o["min"] = *min;
  if (max) o["max"] = *max;
  return o;
}

json::object with_options(json::object o, std::initializer_list<const char*> options) {
  json::array a;
  for (auto* s : options) a.emplace_back(s);
  o["options"] = std::move(a);
  return o;
}

struct Spec {
  const char* id;
  const char* kernel;
  const char* type;
  const char* zh;
  const char* en;
  const char* description_zh;
  const char* description_en;
  json::array inputs, outputs, parameters;
  std::initializer_list<const char*> tags;
};

json::value manifest(Spec s) {
  json::array tags;
  for (auto* t : s.tags) tags.emplace_back(t);
  return json::object{{"id", s.id},
                      {"version", "1.0.0"},
                      {"name", {{"zh", s.zh}, {"en", s.en}}},
                      {"description", {{"zh", s.description_zh}, {"en", s.description_en}}},
                      {"type", s.type},
                      {"inputs", std::move(s.inputs)},
                      {"outputs", std::move(s.outputs)},
                      {"parameters", std::move(s.parameters)},
                      {"author", "Kaiwu"},
                      {"publisher", "Kaiwu platform"},
                      {"tags", std::move(tags)},
                      {"industries", json::array{"机械", "电子", "电力", "石化化工"}},
                      {"implementation", {{"kind", "builtin"}, {"kernel", s.kernel}}}};
}

json::array spc_params() {
  return {with_options(param("chart", "string", "", "xbar_r", "xbar_r, xbar_s or individuals (moving range)"),
                       {"xbar_r", "xbar_s", "individuals"}),
          param("subgroupSize", "number", "", 5, "values per subgroup (ignored for individuals)", 2, 25)};
}

// A maintenance work order: created → triaged by severity → approved or escalated → closed.
json::value work_order_manifest() {
  auto m = manifest({"kaiwu.process.work_order", "", "business_process", "设备维修工单流程", "Maintenance work order",
                     "按故障等级和预估费用分派、审批维修工单", "Routes a maintenance work order by fault severity and estimated cost",
                     ports({{"severity", "number", "", "fault severity 1 (minor) .. 5 (critical)"},
                            {"cost", "number", "CNY", "estimated repair cost"},
                            {"spareInStock", "bool", "", "the spare part is in stock"}}),
                     ports({{"state", "string", "", "final state"},
                            {"approver", "string", "", "who approves"},
                            {"priority", "number", "", "1 (urgent) .. 3"},
                            {"steps", "number", "", "transitions taken"},
                            {"path", "string", "", "states visited, joined by >"},
                            {"stoppedBy", "string", "", "final, no_transition or max_steps"}}),
                     json::array{param("autoApproveLimit", "number", "CNY", 5000, "orders below this cost are approved by the shift lead", 0)},
                     {"maintenance", "workflow"}});
  m.as_object()["implementation"] = json::parse(R"({"kind": "workflow", "workflow": {
    "initial": "created", "maxSteps": 20,
    "states": [{"name": "created"}, {"name": "triaged"}, {"name": "approved"}, {"name": "escalated"},
               {"name": "waiting_parts"}, {"name": "closed", "final": true}],
    "transitions": [
      {"from": "created", "to": "triaged", "guard": "severity >= 4",
       "actions": [{"set": "priority", "value": "1"}]},
      {"from": "created", "to": "triaged", "guard": "severity >= 2",
       "actions": [{"set": "priority", "value": "2"}]},
      {"from": "created", "to": "triaged", "actions": [{"set": "priority", "value": "3"}]},
      {"from": "triaged", "to": "approved", "guard": "cost < autoApproveLimit",
       "actions": [{"set": "approver", "value": "'shift_lead'"}]},
      {"from": "triaged", "to": "escalated", "actions": [{"set": "approver", "value": "'plant_manager'"}]},
      {"from": "escalated", "to": "approved"},
      {"from": "approved", "to": "closed", "guard": "spareInStock"},
      {"from": "approved", "to": "waiting_parts"},
      {"from": "waiting_parts", "to": "closed"}]}})");
  return m;
}

}  // namespace

std::vector<json::value> builtin_manifests() {
  std::vector<json::value> out;
  out.push_back(manifest(
      {"kaiwu.stats.descriptive", "stats.describe", "data_algorithm", "描述统计", "Descriptive statistics",
       "计数、均值、方差、标准差、极值、中位数、分位数、偏度、峰度",
       "Count, mean, variance, standard deviation, extremes, median, quantiles, skewness, kurtosis",
       ports({{"x", "series", "", "values"}}),
       ports({{"count", "number", "", ""}, {"mean", "number", "", ""}, {"sum", "number", "", ""},
              {"min", "number", "", ""}, {"max", "number", "", ""}, {"median", "number", "", ""},
              {"varianceSample", "number", "", "n-1"}, {"variancePopulation", "number", "", "n"},
              {"stdevSample", "number", "", "n-1"}, {"stdevPopulation", "number", "", "n"},
              {"skewness", "number", "", "g1"}, {"kurtosisExcess", "number", "", "g2"},
              {"quantiles", "series", "", "type 7 (linear)"}}),
       json::array{param("quantiles", "series", "", json::array{0.25, 0.5, 0.75}, "probabilities", 0, 1)},
       {"statistics"}}));
  out.push_back(manifest(
      {"kaiwu.anomaly.ewma", "anomaly.ewma", "data_algorithm", "EWMA异常评分", "EWMA anomaly score",
       "指数加权均值与方差，偏离评分超过阈值计为异常", "Exponentially weighted mean and variance; deviations above the threshold are anomalies",
       ports({{"x", "series", "", "values"}}),
       ports({{"ewma", "series", "", ""}, {"score", "series", "σ", ""}, {"anomalies", "number", "", ""},
              {"lastScore", "number", "σ", ""}}),
       json::array{param("alpha", "number", "", 0.3, "smoothing factor", 0.0001, 1),
                   param("threshold", "number", "σ", 3, "anomaly threshold", 0)},
       {"anomaly"}}));
  out.push_back(manifest(
      {"kaiwu.anomaly.zscore", "anomaly.zscore", "data_algorithm", "Z分数异常检测", "Z-score anomaly detection",
       "相对样本均值和标准差的Z分数", "Z-scores against the sample mean and standard deviation",
       ports({{"x", "series", "", "values"}}),
       ports({{"z", "series", "σ", ""}, {"anomalies", "number", "", ""}, {"maxAbsZ", "number", "σ", ""}}),
       json::array{param("threshold", "number", "σ", 3, "anomaly threshold", 0)}, {"anomaly"}}));
  out.push_back(manifest(
      {"kaiwu.regression.linear", "regression.linear", "data_algorithm", "线性回归", "Linear regression",
       "最小二乘直线拟合（QR分解）", "Least-squares line (QR decomposition)",
       ports({{"x", "series", "", ""}, {"y", "series", "", ""}}),
       ports({{"intercept", "number", "", ""}, {"slope", "number", "", ""}, {"r2", "number", "", ""},
              {"rmse", "number", "", ""}}),
       json::array{}, {"regression"}}));
  out.push_back(manifest(
      {"kaiwu.regression.polynomial", "regression.polynomial", "data_algorithm", "多项式回归",
       "Polynomial regression", "最小二乘多项式拟合（QR分解）", "Least-squares polynomial (QR decomposition)",
       ports({{"x", "series", "", ""}, {"y", "series", "", ""}}),
       ports({{"coefficients", "series", "", "c0 + c1 x + c2 x² + …"}, {"r2", "number", "", ""},
              {"rmse", "number", "", ""}}),
       json::array{param("degree", "number", "", 2, "polynomial degree", 1, 8)}, {"regression"}}));
  out.push_back(manifest(
      {"kaiwu.spectrum.fft", "spectrum.fft", "data_algorithm", "FFT频谱分析", "FFT spectrum",
       "实信号幅值谱（可选汉宁窗）与频带能量", "Amplitude spectrum of a real signal (optional Hann window) and band energies",
       ports({{"x", "series", "", "samples"}}),
       ports({{"frequency", "series", "Hz", ""}, {"amplitude", "series", "", "single-sided"},
              {"peakFrequency", "number", "Hz", ""}, {"peakAmplitude", "number", "", ""},
              {"binHz", "number", "Hz", ""}, {"bandEnergy", "series", "", "mean-square power per band"}}),
       json::array{param("sampleRate", "number", "Hz", 1000, "sampling frequency", 1e-6),
                   with_options(param("window", "string", "", "hann", "hann or none"), {"hann", "none"}),
                   param("bands", "series", "Hz", json::array{}, "band edges as pairs lo1, hi1, lo2, hi2, …", 0)},
       {"vibration", "spectrum"}}));
  out.push_back(manifest(
      {"kaiwu.vibration.features", "vibration.features", "mechanism", "振动特征值", "Vibration features",
       "有效值、峰值、峰峰值、峰值因子、峭度", "RMS, peak, peak-to-peak, crest factor, kurtosis",
       ports({{"x", "series", "mm/s", "vibration samples"}}),
       ports({{"rms", "number", "mm/s", ""}, {"peak", "number", "mm/s", ""}, {"peakToPeak", "number", "mm/s", ""},
              {"crestFactor", "number", "", ""}, {"kurtosis", "number", "", "3 for Gaussian"}}),
       json::array{}, {"vibration", "predictive-maintenance"}}));
  out.push_back(manifest(
      {"kaiwu.spc.chart", "spc.chart", "data_algorithm", "SPC控制图", "SPC control chart",
       "X̄-R、X̄-S、单值-移动极差控制限", "X̄-R, X̄-S and individuals/moving-range control limits",
       ports({{"x", "series", "", "measurements in subgroup order"}}),
       ports({{"center", "number", "", ""}, {"ucl", "number", "", ""}, {"lcl", "number", "", ""},
              {"dispersionCenter", "number", "", "R̄, S̄ or MR̄"}, {"dispersionUcl", "number", "", ""},
              {"dispersionLcl", "number", "", ""}, {"sigmaWithin", "number", "", ""},
              {"subgroups", "number", "", ""}, {"outOfControl", "number", "", ""}}),
       spc_params(), {"quality", "spc"}}));
  auto cap_params = spc_params();
  cap_params.push_back(param("lsl", "number", "", nullptr, "lower specification limit"));
  cap_params.push_back(param("usl", "number", "", nullptr, "upper specification limit"));
  out.push_back(manifest(
      {"kaiwu.spc.capability", "spc.capability", "data_algorithm", "过程能力指数", "Process capability",
       "Cp、Cpk（组内）与Pp、Ppk（整体）", "Cp, Cpk (within) and Pp, Ppk (overall)",
       ports({{"x", "series", "", "measurements in subgroup order"}}),
       ports({{"cp", "number", "", ""}, {"cpk", "number", "", ""}, {"pp", "number", "", ""},
              {"ppk", "number", "", ""}, {"mean", "number", "", ""}, {"sigmaWithin", "number", "", ""},
              {"sigmaOverall", "number", "", ""}}),
       std::move(cap_params), {"quality", "spc"}}));
  out.push_back(manifest(
      {"kaiwu.reliability.weibull", "reliability.weibull", "mechanism", "威布尔可靠性分析", "Weibull reliability",
       "极大似然估计形状与尺度参数（支持右删失），B10寿命与可靠度",
       "Maximum-likelihood shape and scale (right-censoring optional), B10 life and reliability",
       ports({{"times", "series", "h", "times to failure or suspension"},
              {"censored", "series", "", "1 = suspension (still running), 0 = failure"}},
             true),
       ports({{"shape", "number", "", "β"}, {"scale", "number", "h", "η"}, {"b10", "number", "h", ""},
              {"mttf", "number", "h", ""}, {"reliability", "number", "", "at missionTime"},
              {"failures", "number", "", ""}, {"censored", "number", "", ""}}),
       json::array{param("missionTime", "number", "h", 0, "time at which to report the reliability", 0)},
       {"reliability", "predictive-maintenance"}}));
  out.push_back(manifest(
      {"kaiwu.sim.thermal", "ode.thermal", "research_simulation", "一阶热模型仿真", "First-order thermal model",
       "C·dT/dt = P − (T − Ta)/R，四阶龙格-库塔定步长积分", "C dT/dt = P − (T − Ta)/R, fixed-step RK4",
       ports({{"T0", "number", "°C", "initial temperature"}}),
       ports({{"t", "series", "s", ""}, {"T", "series", "°C", ""}, {"Tfinal", "number", "°C", ""}}),
       json::array{param("capacity", "number", "J/K", 1000, "heat capacity C", 1e-9),
                   param("resistance", "number", "K/W", 0.5, "thermal resistance R", 1e-9),
                   param("power", "number", "W", 100, "heating power P"),
                   param("ambient", "number", "°C", 20, "ambient temperature Ta"),
                   param("h", "number", "s", 1, "step", 1e-9),
                   param("duration", "number", "s", 600, "simulated time", 0)},
       {"simulation", "thermal"}}));
  out.push_back(manifest(
      {"kaiwu.sim.spring_mass_damper", "ode.spring_mass_damper", "research_simulation", "弹簧-质量-阻尼系统仿真",
       "Spring-mass-damper", "m·x'' + c·x' + k·x = F，四阶龙格-库塔定步长积分", "m x'' + c x' + k x = F, fixed-step RK4",
       ports({{"x0", "number", "m", "initial displacement"}, {"v0", "number", "m/s", "initial velocity"}}),
       ports({{"t", "series", "s", ""}, {"x", "series", "m", ""}, {"v", "series", "m/s", ""},
              {"xFinal", "number", "m", ""}, {"vFinal", "number", "m/s", ""}}),
       json::array{param("mass", "number", "kg", 1, "m", 1e-9), param("damping", "number", "N·s/m", 0.5, "c", 0),
                   param("stiffness", "number", "N/m", 10, "k", 0), param("force", "number", "N", 0, "F"),
                   param("h", "number", "s", 0.01, "step", 1e-9), param("duration", "number", "s", 10, "simulated time", 0)},
       {"simulation", "mechanics"}}));
  out.push_back(work_order_manifest());
  return out;
}

}  // namespace kaiwu::models
