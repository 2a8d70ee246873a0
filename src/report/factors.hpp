// Conversion factors of the park analytics, the same defaults (and sources) as the built-in
// energy APP (apps/builtin/energy/main.lua, DEFAULTS and `sources`), kept in this one header.
#pragma once

namespace kaiwu::report {

// kgCO2 per unit of each carrier.
// Electricity 0.5366 kgCO2/kWh: national average electricity CO2 emission factor for 2022,
// MEE and NBS announcement of 2024-12 (生态环境部 国家统计局 关于发布2022年电力二氧化碳排放因子的公告).
inline constexpr double kCo2KgPerKwh = 0.5366;
// Natural gas 2.1622 kgCO2/m³: GB/T 32150-2015 Annex B natural gas defaults, NCV 389.31
// GJ/10⁴Nm³ × 15.3 tC/TJ × 99 % oxidation × 44/12.
inline constexpr double kCo2KgPerGasM3 = 2.1622;
// Steam 0: the demo's steam comes from the on-site gas boiler whose gas is already counted
// (purchased heat: 0.11 tCO2/GJ, GB/T 32151 sector guidelines, × the steam's GJ/t).
inline constexpr double kCo2KgPerSteamT = 0;
// Water 0 (no direct emission).
inline constexpr double kCo2KgPerWaterM3 = 0;

// kgce (kg of standard coal equivalent) per unit, GB/T 2589-2020 Annex A: electricity
// 0.1229 kgce/kWh (calorific equivalent), natural gas 1.2143 kgce/m³; steam and water 0 as in
// the energy APP (steam from the counted gas boiler).
inline constexpr double kKgcePerKwh = 0.1229;
inline constexpr double kKgcePerGasM3 = 1.2143;
inline constexpr double kKgcePerSteamT = 0;
inline constexpr double kKgcePerWaterM3 = 0;

// The telemetry keys read (cumulative counters, as the energy APP's defaults) and the machine
// state (as the OEE APP: state_code 1 = running).
inline constexpr const char* kKeyElectricity = "energy_kwh";
inline constexpr const char* kKeyGas = "gas_total_m3";
inline constexpr const char* kKeySteam = "steam_total_t";
inline constexpr const char* kKeyWater = "water_total_m3";
inline constexpr const char* kKeyParts = "part_count";
inline constexpr const char* kKeyState = "state_code";
inline constexpr double kStateRunning = 1;

}  // namespace kaiwu::report
