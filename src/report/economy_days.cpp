// ParkMetrics::days → the figures the analysis uses (see economy.hpp, days_from).
#include "report/economy.hpp"

namespace kaiwu::report {

DayFigures figures_of(const EnterpriseDay& d) {
  DayFigures f{d.enterprise_id, d.day_ms, d.electricity_kwh, d.output, d.machines, d.operating_rate,
               d.alarms_raised};
  if (d.observed_machine_h <= 0) {  // no machine reported its state that day
    f.machines = 0;
    f.operating_rate = 0;
  }
  return f;
}

DaysSource days_from(ParkMetrics& metrics) {
  return [&metrics](const meta::Scope& scope, const std::vector<std::string>& ids, std::int64_t from,
                    std::int64_t to) -> Result<std::vector<DayFigures>> {
    auto rows = KAIWU_TRY(metrics.days(scope, ids, from, to));
    std::vector<DayFigures> out;
    out.reserve(rows.size());
    for (const auto& d : rows) out.push_back(figures_of(d));
    return out;
  };
}

}  // namespace kaiwu::report
