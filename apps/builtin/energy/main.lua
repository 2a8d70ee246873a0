-- 节能减排 Energy & carbon (kaiwu-energy): a built-in Kaiwu APP that uses only the public APP
-- host API (src/apps/README.md). Formulas, defaults and their sources: README.md of this APP.
--
-- Data flow: `tick` (schedule, every minute) → `refresh` turns the cumulative counters of the
-- enterprise's devices (meter kWh, boiler gas m³, steam t and water m³, CNC part counts; a
-- carrier may instead be a rate such as steam t/h) into per-device HOURLY quantities, one store record per local day ("day:YYYY-MM-DD").
-- Each run reads only the hours after its cursor (hourly `last`/`min` aggregates; the raw
-- samples only of an hour whose counter went down), and it SETS the hourly values rather than
-- adding them, so a repeated or concurrent run cannot count twice. Reports (summary, totals,
-- export) price and weigh the stored hours with the current settings.

local HOUR = 3600000
local DAY = 86400000
local LAG_MS = 120000          -- an hour is final once it ended 2 minutes ago (late samples)
local MAX_HOURS_PER_RUN = 960  -- 40 days: the default backfill in one run when the data are few
local CHUNK_HOURS = 12         -- hours per committed step of a run
local TIME_BUDGET_MS = 800     -- no new step after this (the runtime's wall-time limit is 2 s)
local CARRIERS = {"electricity", "gas", "steam", "water"}
local SHORT = {electricity = "e", gas = "g", steam = "s", water = "w", output = "o"}
local PERIODS = {s = "sharp", p = "peak", f = "flat", v = "valley"}
local PERIOD_ORDER = {"sharp", "peak", "flat", "valley"}

-- Defaults; every value is documented with its source in README.md and in `sources` below.
local DEFAULTS = {
  tzOffsetMinutes = 480,  -- China Standard Time (UTC+8): tariff hours and days are local
  backfillDays = 35,
  carriers = {
    electricity = {key = "energy_kwh", kind = "counter", unit = "kWh"},
    gas = {key = "gas_total_m3", kind = "counter", unit = "m³"},
    steam = {key = "steam_total_t", kind = "counter", unit = "t"},  -- or {key = "steam_flow_t_h", kind = "rate"}
    water = {key = "water_total_m3", kind = "counter", unit = "m³"},
  },
  output = {key = "part_count", unitZh = "件", unitEn = "pcs"},
  tariff = {
    name = "江苏 一般工商业 分时电价（示例价格）",
    -- one letter per local hour 0..23: s sharp, p peak, f flat, v valley
    hours = "vvvvvvvvppppfffffppppfff",
    prices = {sharp = 1.3260, peak = 1.1050, flat = 0.6500, valley = 0.2600},  -- CNY/kWh
    seasons = {},  -- { {months = {7, 8}, hours = "..."} } overrides `hours` in those months
  },
  prices = {gas = 3.60, steam = 0, water = 4.00},                       -- CNY per m³ / t / m³
  co2 = {electricity = 0.5366, gas = 2.1622, steam = 0, water = 0},     -- kgCO2 per kWh / m³ / t / m³
  tce = {electricity = 0.1229, gas = 1.2143, steam = 0, water = 0},     -- kgce per kWh / m³ / t / m³
  baseline = nil,  -- {from = "YYYY-MM-DD", to = "YYYY-MM-DD"}
}

sources = {
  tariff = "Periods: Jiangsu TOU schedule for industrial users (peak 8-12 & 17-21, flat 12-17 & 21-24, " ..
           "valley 0-8). Prices: illustrative, flat 0.65 CNY/kWh with peak ×1.7 / valley ×0.4 / sharp = " ..
           "peak ×1.2 (NDRC 发改价格〔2021〕1093号: peak-valley ratio ≥ 4:1 where the load gap > 40 %, " ..
           "sharp ≥ 20 % above peak). Enter the prices of your own bill.",
  co2_electricity = "0.5366 kgCO2/kWh: national average electricity CO2 emission factor for 2022, " ..
                    "MEE and NBS announcement of 2024-12 (生态环境部 国家统计局 关于发布2022年电力二氧化碳排放因子的公告)",
  co2_gas = "2.1622 kgCO2/m³: GB/T 32150-2015 Annex B natural gas defaults, NCV 389.31 GJ/10⁴Nm³ × " ..
            "15.3 tC/TJ × 99 % oxidation × 44/12",
  co2_steam = "0: the demo's steam comes from the on-site gas boiler, whose gas is already counted; " ..
              "for purchased heat use 0.11 tCO2/GJ (GB/T 32151 sector guidelines) × the steam's GJ/t",
  tce = "GB/T 2589-2020 Annex A: electricity 0.1229 kgce/kWh (calorific equivalent), natural gas 1.2143 kgce/m³",
  prices = "gas 3.60 CNY/m³ and water 4.00 CNY/m³: illustrative non-residential prices; set your own",
}

-- The same in Chinese, for the UI.
sources_zh = {
  tariff = "时段：江苏工业用户分时电价时段（峰 8–12、17–21 时，平 12–17、21–24 时，谷 0–8 时）。价格为示例：" ..
           "平段 0.65 元/kWh，峰 ×1.7、谷 ×0.4、尖峰 = 峰 ×1.2（国家发展改革委 发改价格〔2021〕1093号：" ..
           "最大峰谷差率超过 40% 的地方峰谷价差原则上不低于 4:1，尖峰电价在峰段基础上上浮不低于 20%）。请按实际电费单填写。",
  co2_electricity = "0.5366 kgCO2/kWh：生态环境部、国家统计局 2024 年 12 月《关于发布2022年电力二氧化碳排放因子的公告》全国电力平均二氧化碳排放因子",
  co2_gas = "2.1622 kgCO2/m³：GB/T 32150-2015 附录 B 天然气缺省值，低位发热量 389.31 GJ/10⁴Nm³ × 单位热值含碳量 15.3 tC/TJ × 碳氧化率 99% × 44/12",
  co2_steam = "0：示范工厂的蒸汽由厂内燃气锅炉产生，其天然气已计入；外购热力可按 0.11 tCO2/GJ（GB/T 32151 系列行业核算指南）× 每吨蒸汽的 GJ 计",
  tce = "GB/T 2589-2020 附录 A：电力（当量值）0.1229 kgce/kWh，天然气 1.2143 kgce/m³",
  prices = "天然气 3.60 元/m³、水 4.00 元/m³：非居民用价格示例，请按实际填写",
}

-- ---------------------------------------------------------------- small helpers

local function copy(t)
  if type(t) ~= "table" then return t end
  local out = {}
  for k, v in pairs(t) do out[k] = copy(v) end
  return out
end

-- `over` merged onto a copy of `base` (tables with string keys merge, everything else replaces).
local function merge(base, over)
  local out = copy(base)
  if type(over) ~= "table" then return out end
  for k, v in pairs(over) do
    if type(v) == "table" and type(out[k]) == "table" and #v == 0 and next(v) ~= nil then
      out[k] = merge(out[k], v)
    else
      out[k] = copy(v)
    end
  end
  return out
end

local function num(v) return type(v) == "number" and v or 0 end
local function sum(a) local s = 0 for _, v in ipairs(a or {}) do s = s + v end return s end
local function zeros() local z = {} for i = 1, 24 do z[i] = 0 end return z end
local function r(x, digits)
  local m = 10 ^ (digits or 6)
  return math.floor(x * m + 0.5) / m
end

-- ---------------------------------------------------------------- calendar (proleptic Gregorian)

-- Days since 1970-01-01 → year, month, day (H. Hinnant's civil_from_days; Lua's // floors).
function civil_from_days(z)
  z = z + 719468
  local era = z // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400 + (m <= 2 and 1 or 0)
  return math.tointeger(y), math.tointeger(m), math.tointeger(d)
end

function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = y // 400
  local yoe = y - era * 400
  local doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return math.tointeger(era * 146097 + doe - 719468)
end

local function date_text(days)
  local y, m, d = civil_from_days(days)
  return string.format("%04d-%02d-%02d", y, m, d)
end

-- "2026-11-05" → days since the epoch; nil for anything else.
local function parse_date(s)
  if type(s) ~= "string" then return nil end
  local y, m, d = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if not y then return nil end
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  if m < 1 or m > 12 or d < 1 or d > 31 then return nil end
  local days = days_from_civil(y, m, d)
  if date_text(days) ~= s then return nil end  -- 2026-02-30
  return days
end

-- Local day (days since epoch), hour 0..23 and month 1..12 of a UTC timestamp (ms).
function local_time(ts, tz_minutes)
  local t = math.tointeger(ts // 1) + tz_minutes * 60000
  local days = t // DAY
  local hour = (t - days * DAY) // HOUR
  local _, month = civil_from_days(days)
  return math.tointeger(days), math.tointeger(hour), month
end

-- ---------------------------------------------------------------- tariff

local function check_hours(h, where)
  if type(h) ~= "string" or #h ~= 24 or h:find("[^spfv]") then
    error(where .. " must be 24 letters, one per local hour 0..23, each s (sharp) p (peak) f (flat) or v (valley)", 0)
  end
end

-- "peak" | "flat" | "valley" | "sharp" for a local month (1..12) and hour (0..23).
function tariff_period(tariff, month, hour)
  local hours = tariff.hours
  for _, season in ipairs(tariff.seasons or {}) do
    for _, m in ipairs(season.months or {}) do
      if m == month then hours = season.hours end
    end
  end
  return PERIODS[hours:sub(hour + 1, hour + 1)]
end

-- The period of a UTC timestamp under the settings (used by the unit test and the UI legend).
function period_at(input)
  local s = merge(DEFAULTS, input.settings)
  local days, hour, month = local_time(input.ts, s.tzOffsetMinutes)
  return {period = tariff_period(s.tariff, month, hour), date = date_text(days), hour = hour}
end

-- ---------------------------------------------------------------- counters

-- Consumption between two readings of a cumulative counter. A drop is a counter reset (meter
-- replaced, rollover, PLC restart): the new reading counts from zero. A drop within 1e-9 of the
-- reading is rounding noise, not a reset.
function counter_delta(prev, v)
  if v >= prev then return v - prev end
  if prev - v <= 1e-9 * math.max(1, math.abs(prev)) then return 0 end
  return v
end

-- Sum of consumption over readings in time order, starting from `prev` (nil: the first reading).
function counter_walk(prev, values)
  local total = 0
  for _, v in ipairs(values) do
    if prev ~= nil then total = total + counter_delta(prev, v) end
    prev = v
  end
  return total, prev
end

-- ---------------------------------------------------------------- settings

local function validate(s)
  local function nonneg(t, what)
    for k, v in pairs(t) do
      if type(v) ~= "number" or v < 0 or v ~= v then error(what .. "." .. k .. " must be a number ≥ 0", 0) end
    end
  end
  if type(s.tzOffsetMinutes) ~= "number" or s.tzOffsetMinutes < -720 or s.tzOffsetMinutes > 840 then
    error("tzOffsetMinutes must be between -720 and 840", 0)
  end
  s.tzOffsetMinutes = math.tointeger(s.tzOffsetMinutes // 1)
  if type(s.backfillDays) ~= "number" or s.backfillDays < 0 or s.backfillDays > 400 then
    error("backfillDays must be between 0 and 400", 0)
  end
  check_hours(s.tariff.hours, "tariff.hours")
  for i, season in ipairs(s.tariff.seasons or {}) do
    check_hours(season.hours, "tariff.seasons[" .. i .. "].hours")
    for _, m in ipairs(season.months or {}) do
      if math.type(m) ~= "integer" or m < 1 or m > 12 then error("tariff.seasons[" .. i .. "].months must be 1..12", 0) end
    end
  end
  nonneg(s.tariff.prices, "tariff.prices")
  nonneg(s.prices, "prices")
  nonneg(s.co2, "co2")
  nonneg(s.tce, "tce")
  for _, c in ipairs(CARRIERS) do
    local cc = s.carriers[c]
    if type(cc) ~= "table" or type(cc.key) ~= "string" or (cc.kind ~= "counter" and cc.kind ~= "rate") then
      error("carriers." .. c .. " needs a key and kind counter|rate", 0)
    end
  end
  if type(s.output) ~= "table" or type(s.output.key) ~= "string" then error("output.key must be a telemetry key", 0) end
  if s.baseline ~= nil then
    local f, t = parse_date(s.baseline.from), parse_date(s.baseline.to)
    if not f or not t or f > t then error("baseline needs from ≤ to as YYYY-MM-DD dates", 0) end
  end
  return s
end

local function settings()
  local stored = kaiwu.store.get("settings")
  return merge(DEFAULTS, stored)
end

function settings_get(input, ctx)
  return {settings = settings(), defaults = DEFAULTS, sources = sources, sourcesZh = sources_zh}
end

-- Stores the given settings merged over the current ones; `reset = true` restores the defaults.
function settings_put(input, ctx)
  local s
  if input.reset then
    s = copy(DEFAULTS)
  else
    s = merge(settings(), input.settings or input)
    s.reset = nil
    if input.clearBaseline then s.baseline = nil end
    s.clearBaseline = nil
  end
  validate(s)
  kaiwu.store.put("settings", s)
  return {settings = s}
end

-- ---------------------------------------------------------------- refresh (incremental)

local function bucket_values(series)
  local out = {}
  for _, b in ipairs(series or {}) do
    if type(b.value) == "number" then out[math.tointeger(b.ts // 1)] = b.value end
  end
  return out
end

-- Raw readings of one key in [from, to), in time order.
local function raw_values(device, key, from, to)
  local got = kaiwu.telemetry.range(device, {key}, from, to, 10000)[key] or {}
  table.sort(got, function(a, b) return a.ts < b.ts end)
  local out = {}
  for _, s in ipairs(got) do
    if type(s.value) == "number" then out[#out + 1] = s.value end
  end
  return out
end

-- Hourly quantities of a device's counters over [from, to): {key = {bucketTs = quantity}}; `prev`
-- (key → last reading) is updated. Two aggregate queries for all the counters of the device.
local function counter_hours(device, keys, from, to, prev)
  local lasts = kaiwu.telemetry.aggregate(device, keys, from, to, HOUR, "last")
  local mins = kaiwu.telemetry.aggregate(device, keys, from, to, HOUR, "min")
  local out = {}
  for _, key in ipairs(keys) do
    local last_of, min_of, p, q = bucket_values(lasts[key]), bucket_values(mins[key]), prev[key], {}
    for b = from, to - HOUR, HOUR do
      local last = last_of[b]
      if last ~= nil then
        local low = min_of[b] or last
        if p == nil then
          q[b] = last - low  -- first hour ever seen: from its lowest reading
        elseif low < p - 1e-9 * math.max(1, math.abs(p)) then
          q[b] = counter_walk(p, raw_values(device, key, b, b + HOUR))  -- a reset in this hour
        else
          q[b] = counter_delta(p, last)
        end
        p = last
      end
    end
    out[key], prev[key] = q, p
  end
  return out
end

-- Hourly quantities of rates (per hour) over [from, to): the hour's average × 1 h.
local function rate_hours(device, keys, from, to)
  local avgs = kaiwu.telemetry.aggregate(device, keys, from, to, HOUR, "avg")
  local out = {}
  for _, key in ipairs(keys) do out[key] = bucket_values(avgs[key]) end
  return out
end

local function sources_of(s)
  local list = {}
  for _, c in ipairs(CARRIERS) do list[#list + 1] = {short = SHORT[c], key = s.carriers[c].key, kind = s.carriers[c].kind} end
  list[#list + 1] = {short = SHORT.output, key = s.output.key, kind = "counter"}
  return list
end

-- The enterprise's devices that report any of the carriers' keys, with their counter and rate keys.
local function metered_devices(list)
  local keys = {}
  for _, c in ipairs(list) do keys[#keys + 1] = c.key end
  local out = {}
  for _, dev in ipairs(kaiwu.devices.list()) do
    local latest = kaiwu.telemetry.latest(dev.id, keys)
    local m = {id = dev.id, counters = {}, rates = {}, short = {}}
    for _, c in ipairs(list) do
      if latest[c.key] ~= nil then
        local into = c.kind == "counter" and m.counters or m.rates
        into[#into + 1] = c.key
        m.short[c.key] = c.short
      end
    end
    if #m.counters + #m.rates > 0 then out[#out + 1] = m end
  end
  return out
end

-- One pass over [from, to) for every metered device: sets the hourly values in the day records.
local function process(devices, from, to, last, tz)
  local days = {}  -- day number → record
  local function put(dev, short, hours)
    for b, q in pairs(hours) do
      local d, h = local_time(b, tz)
      if not days[d] then days[d] = kaiwu.store.get("day:" .. date_text(d)) or {d = {}} end
      local per = days[d].d[dev] or {}
      days[d].d[dev] = per
      per[short] = per[short] or zeros()
      per[short][h + 1] = r(q)  -- 1e-6 of a unit: keeps a day record small
    end
  end
  for _, m in ipairs(devices) do
    last[m.id] = last[m.id] or {}
    if #m.counters > 0 then
      for key, hours in pairs(counter_hours(m.id, m.counters, from, to, last[m.id])) do put(m.id, m.short[key], hours) end
    end
    if #m.rates > 0 then
      for key, hours in pairs(rate_hours(m.id, m.rates, from, to)) do put(m.id, m.short[key], hours) end
    end
  end
  for d, rec in pairs(days) do kaiwu.store.put("day:" .. date_text(d), rec) end
end

-- Processes the complete hours after the cursor in chunks of CHUNK_HOURS, each committed (day
-- records, then the cursor), until caught up, MAX_HOURS_PER_RUN (or input.maxHours) are done or
-- the run has used its time budget (a long backlog is worked off over several runs).
function refresh(input, ctx)
  input = input or {}
  local started = kaiwu.now()
  local s = settings()
  local state = kaiwu.store.get("state") or {}
  local done = ((started - LAG_MS) // HOUR) * HOUR
  local from = state.cursor or ((started - s.backfillDays * DAY) // HOUR) * HOUR
  local first = from
  local limit = math.min(done, from + math.min(tonumber(input.maxHours) or MAX_HOURS_PER_RUN, MAX_HOURS_PER_RUN) * HOUR)
  local last = state.last or {}
  local devices = metered_devices(sources_of(s))
  while from < limit and kaiwu.now() - started < TIME_BUDGET_MS do
    local to = math.min(limit, from + CHUNK_HOURS * HOUR)
    process(devices, from, to, last, s.tzOffsetMinutes)
    kaiwu.store.put("state", {cursor = to, last = last})
    from = to
  end
  -- The hour in progress: its value so far, replaced on every run until the hour is complete
  -- (the cursor and the last readings do not move past it).
  if from >= done and input.partial ~= false then process(devices, done, done + HOUR, copy(last), s.tzOffsetMinutes) end
  return {upToTs = from, caughtUp = from >= done, hours = (from - first) // HOUR, devices = #devices}
end

-- Schedule trigger.
function tick(input, ctx)
  local out = refresh({}, ctx)
  kaiwu.log("energy refresh up to", out.upToTs, "hours", out.hours, "devices", out.devices)
  return out
end

-- Forgets the processed hours (day records stay and are overwritten) so the next refresh starts
-- again `backfillDays` back, e.g. after a device's counters were corrected.
function rebuild(input, ctx)
  kaiwu.store.delete("state")
  return refresh(input, ctx)
end

-- ---------------------------------------------------------------- reports

-- The local days [first, last] of an input: {from =, to =} dates, {month = "YYYY-MM"}, or this month.
local function range_of(input, s)
  if input.from ~= nil or input.to ~= nil then
    local f, t = parse_date(input.from), parse_date(input.to)
    if not f or not t or f > t then error("from and to must be YYYY-MM-DD dates with from ≤ to", 0) end
    if t - f > 366 then error("a report covers at most 367 days", 0) end
    return f, t
  end
  local y, m
  if input.month ~= nil then
    y, m = tostring(input.month):match("^(%d%d%d%d)%-(%d%d)$")
    y, m = tonumber(y), tonumber(m)
    if not y or m < 1 or m > 12 then error("month must be YYYY-MM", 0) end
  else
    local today = local_time(kaiwu.now(), s.tzOffsetMinutes)
    y, m = civil_from_days(today)
  end
  local ny, nm = y, m + 1
  if nm == 13 then ny, nm = y + 1, 1 end
  return days_from_civil(y, m, 1), days_from_civil(ny, nm, 1) - 1
end

-- The stored day records in [first, last], in date order: { {day =, rec =}, ... }.
local function load_days(first, last)
  local out = {}
  local y, m = civil_from_days(first)
  while days_from_civil(y, m, 1) <= last do
    for _, kv in ipairs(kaiwu.store.list(string.format("day:%04d-%02d", y, m), 31)) do
      local d = parse_date(kv.key:sub(5))
      if d and d >= first and d <= last then out[#out + 1] = {day = d, rec = kv.value} end
    end
    m = m + 1
    if m == 13 then y, m = y + 1, 1 end
  end
  table.sort(out, function(a, b) return a.day < b.day end)
  return out
end

local function new_acc()
  return {kwh = 0, byPeriod = {sharp = 0, peak = 0, flat = 0, valley = 0}, electricityCost = 0,
          gas = 0, steam = 0, water = 0, output = 0, hours = zeros()}
end

-- Adds one device-day (hourly arrays) of local month `month` to the accumulators given.
local function add_day(accs, per, month, s)
  local e = per.e
  if e then
    for h = 1, 24 do
      local q = num(e[h])
      if q ~= 0 then
        local p = tariff_period(s.tariff, month, h - 1)
        local cost = q * s.tariff.prices[p]
        for _, a in ipairs(accs) do
          a.kwh = a.kwh + q
          a.byPeriod[p] = a.byPeriod[p] + q
          a.electricityCost = a.electricityCost + cost
          a.hours[h] = a.hours[h] + q
        end
      end
    end
  end
  local g, st, w, o = sum(per.g), sum(per.s), sum(per.w), sum(per.o)
  for _, a in ipairs(accs) do
    a.gas, a.steam, a.water, a.output = a.gas + g, a.steam + st, a.water + w, a.output + o
  end
end

local function per_unit(x, output) return output > 0 and x / output or nil end

-- Money, emissions, standard coal and intensities of an accumulator.
local function finish(a, s)
  local cost = {electricity = a.electricityCost, gas = a.gas * s.prices.gas, steam = a.steam * s.prices.steam,
                water = a.water * s.prices.water}
  cost.total = cost.electricity + cost.gas + cost.steam + cost.water
  local co2 = {electricity = a.kwh * s.co2.electricity / 1000, gas = a.gas * s.co2.gas / 1000,
               steam = a.steam * s.co2.steam / 1000, water = a.water * s.co2.water / 1000}
  co2.total = co2.electricity + co2.gas + co2.steam + co2.water
  local tce = (a.kwh * s.tce.electricity + a.gas * s.tce.gas + a.steam * s.tce.steam + a.water * s.tce.water) / 1000
  local by = {}
  for _, p in ipairs(PERIOD_ORDER) do by[p] = r(a.byPeriod[p]) end
  local out = {
    electricityKwh = r(a.kwh), byPeriod = by, gasM3 = r(a.gas), steamT = r(a.steam), waterM3 = r(a.water),
    output = r(a.output), tce = r(tce), cost = {}, co2T = {},
    intensity = {
      kwhPerUnit = per_unit(a.kwh, a.output), kgco2PerUnit = per_unit(co2.total * 1000, a.output),
      costPerUnit = per_unit(cost.total, a.output), kgcePerUnit = per_unit(tce * 1000, a.output),
    },
  }
  for k, v in pairs(cost) do out.cost[k] = r(v, 4) end
  for k, v in pairs(co2) do out.co2T[k] = r(v) end
  for k, v in pairs(out.intensity) do out.intensity[k] = r(v) end
  return out
end

-- Totals of the enterprise over [first, last] (plus per device / per day accumulators if asked).
local function compute(first, last, s, detail)
  local total = new_acc()
  local devices, days = {}, {}
  for _, item in ipairs(load_days(first, last)) do
    local _, month = civil_from_days(item.day)
    local day_acc = new_acc()
    for id, per in pairs(item.rec.d or {}) do
      local accs = {total, day_acc}
      if detail then
        devices[id] = devices[id] or new_acc()
        accs[3] = devices[id]
      end
      add_day(accs, per, month, s)
    end
    days[#days + 1] = {day = item.day, acc = day_acc}
  end
  return total, devices, days
end

-- Savings against the baseline period: what the baseline's intensity (per unit of output, or per
-- day when either period has no output) would have used for this period, minus what was used.
local function savings(cur, cur_days, s)
  if not s.baseline then return nil end
  local f, t = parse_date(s.baseline.from), parse_date(s.baseline.to)
  local base_acc, _, base_days = compute(f, t, s, false)
  local base = finish(base_acc, s)
  local mode, scale
  if cur.output > 0 and base.output > 0 then
    mode, scale = "output", cur.output / base.output
  elseif #base_days > 0 then
    mode, scale = "days", cur_days / #base_days
  else
    return {from = s.baseline.from, to = s.baseline.to, mode = "none", days = 0}
  end
  local function saved(b, c)
    local expected = b * scale
    return {expected = r(expected), actual = r(c), saved = r(expected - c),
            pct = expected > 0 and r((expected - c) / expected * 100, 2) or nil}
  end
  return {
    from = s.baseline.from, to = s.baseline.to, mode = mode, days = #base_days, output = base.output,
    intensity = base.intensity,
    electricityKwh = saved(base.electricityKwh, cur.electricityKwh),
    tce = saved(base.tce, cur.tce),
    co2T = saved(base.co2T.total, cur.co2T.total),
    cost = saved(base.cost.total, cur.cost.total),
  }
end

-- id → {name =, workshop =} for the enterprise's devices (workshop: server attribute `workshop`).
local function device_info(ids)
  local info = {}
  for _, d in ipairs(kaiwu.devices.list()) do info[d.id] = {name = d.name, workshop = "-"} end
  for id, _ in pairs(ids) do
    local i = info[id]
    if i then
      local attrs = kaiwu.attributes.get(id)
      local w = (attrs.server or {}).workshop or (attrs.shared or {}).workshop
      if type(w) == "string" and w ~= "" then i.workshop = w end
    else
      info[id] = {name = id, workshop = "-"}
    end
  end
  return info
end

local function sorted_keys(t)
  local keys = {}
  for k, _ in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

-- The totals of a range input (see summary), its settings and accumulators.
local function report(input, detail)
  local s = settings()
  local first, last = range_of(input or {}, s)
  local total, devices, days = compute(first, last, s, detail)
  local out = finish(total, s)
  out.from, out.to, out.days = date_text(first), date_text(last), #days
  return out, s, total, devices, days
end

local function add_acc(into, a)
  into.kwh, into.electricityCost = into.kwh + a.kwh, into.electricityCost + a.electricityCost
  into.gas, into.steam, into.water, into.output = into.gas + a.gas, into.steam + a.steam, into.water + a.water,
                                                  into.output + a.output
  for p, q in pairs(a.byPeriod) do into.byPeriod[p] = into.byPeriod[p] + q end
end

-- The enterprise's energy, cost and carbon for a period, with per-meter, per-workshop and
-- per-day breakdowns and the savings against the baseline.
-- input: {month = "YYYY-MM"} | {from = "YYYY-MM-DD", to = "YYYY-MM-DD"} | {} (this month).
function summary(input, ctx)
  local out, s, total, devices, days = report(input, true)
  local info = device_info(devices)
  local state = kaiwu.store.get("state") or {}
  out.upToTs = state.cursor
  out.hourly = {}
  for h = 1, 24 do out.hourly[h] = r(total.hours[h]) end
  out.meters, out.workshops = {}, {}
  local shops = {}
  for _, id in ipairs(sorted_keys(devices)) do
    local m = finish(devices[id], s)
    m.id, m.name, m.workshop = id, info[id].name, info[id].workshop
    out.meters[#out.meters + 1] = m
    shops[m.workshop] = shops[m.workshop] or new_acc()
    add_acc(shops[m.workshop], devices[id])
  end
  for _, name in ipairs(sorted_keys(shops)) do
    local w = finish(shops[name], s)
    w.workshop = name
    out.workshops[#out.workshops + 1] = w
  end
  out.trend = {}
  for _, d in ipairs(days) do
    local f = finish(d.acc, s)
    out.trend[#out.trend + 1] = {date = date_text(d.day), electricityKwh = f.electricityKwh, gasM3 = f.gasM3,
                                 co2T = f.co2T.total, cost = f.cost.total, output = f.output, tce = f.tce}
  end
  out.baseline = savings(out, #days, s)
  out.tariff = {name = s.tariff.name, prices = s.tariff.prices, hours = s.tariff.hours}
  out.outputUnit = {zh = s.output.unitZh, en = s.output.unitEn}
  return out
end

-- Enterprise totals only (the park analytics call this per enterprise, then park_total).
function totals(input, ctx)
  local out = report(input, false)
  out.enterpriseId = ctx and ctx.enterpriseId
  return out
end

-- Park total: sums `totals` results of several enterprises ({items = {...}}) and recomputes the
-- intensities. Pure: reads nothing, so a park analytics job can reuse it on any set.
function park_total(input, ctx)
  local items = (input or {}).items
  if type(items) ~= "table" then error("items must be a list of totals results", 0) end
  local t = {electricityKwh = 0, gasM3 = 0, steamT = 0, waterM3 = 0, output = 0, tce = 0,
             byPeriod = {sharp = 0, peak = 0, flat = 0, valley = 0},
             cost = {electricity = 0, gas = 0, steam = 0, water = 0, total = 0},
             co2T = {electricity = 0, gas = 0, steam = 0, water = 0, total = 0}, enterprises = #items}
  for _, it in ipairs(items) do
    for _, k in ipairs({"electricityKwh", "gasM3", "steamT", "waterM3", "output", "tce"}) do t[k] = t[k] + num(it[k]) end
    for _, grp in ipairs({"byPeriod", "cost", "co2T"}) do
      for k, _ in pairs(t[grp]) do t[grp][k] = t[grp][k] + num((it[grp] or {})[k]) end
    end
  end
  t.intensity = {kwhPerUnit = per_unit(t.electricityKwh, t.output), kgco2PerUnit = per_unit(t.co2T.total * 1000, t.output),
                 costPerUnit = per_unit(t.cost.total, t.output), kgcePerUnit = per_unit(t.tce * 1000, t.output)}
  return t
end

-- ---------------------------------------------------------------- monthly report (XLSX)

local function cell(v) if v == nil then return "-" end return v end

local function row_of(label, m)
  return {label, m.electricityKwh, m.byPeriod.sharp, m.byPeriod.peak, m.byPeriod.flat, m.byPeriod.valley, m.gasM3,
          m.steamT, m.waterM3, m.output, m.cost.total, m.co2T.total, m.tce, cell(m.intensity.kwhPerUnit)}
end

local BREAKDOWN_COLUMNS = {"", "电 Electricity kWh", "尖 Sharp kWh", "峰 Peak kWh", "平 Flat kWh", "谷 Valley kWh",
                           "天然气 Gas m³", "蒸汽 Steam t", "水 Water m³", "产量 Output", "费用 Cost CNY",
                           "排放 CO2 t", "标煤 tce", "kWh/unit"}

-- The month's report as an XLSX file: summary, meters, workshops, days, settings and sources.
-- input: {month = "YYYY-MM"} (default this month). Returns {id, name, size} for the download.
function export_month(input, ctx)
  input = input or {}
  local s = settings()
  local first = range_of({month = input.month}, s)
  local month = date_text(first):sub(1, 7)
  local m = summary({month = month}, ctx)
  local kpi = {
    {"电 Electricity", m.electricityKwh, "kWh"}, {"尖 Sharp", m.byPeriod.sharp, "kWh"},
    {"峰 Peak", m.byPeriod.peak, "kWh"}, {"平 Flat", m.byPeriod.flat, "kWh"}, {"谷 Valley", m.byPeriod.valley, "kWh"},
    {"天然气 Natural gas", m.gasM3, "m³"}, {"蒸汽 Steam", m.steamT, "t"}, {"水 Water", m.waterM3, "m³"},
    {"综合能耗 Energy (standard coal)", m.tce, "tce"},
    {"电费 Electricity cost", m.cost.electricity, "CNY"}, {"气费 Gas cost", m.cost.gas, "CNY"},
    {"水费 Water cost", m.cost.water, "CNY"}, {"蒸汽费 Steam cost", m.cost.steam, "CNY"},
    {"总费用 Total cost", m.cost.total, "CNY"},
    {"电力排放 CO2 electricity", m.co2T.electricity, "tCO2"}, {"天然气排放 CO2 gas", m.co2T.gas, "tCO2"},
    {"总排放 CO2 total", m.co2T.total, "tCO2"},
    {"产量 Output", m.output, s.output.unitEn},
    {"单位产品电耗 kWh per unit", cell(m.intensity.kwhPerUnit), "kWh/" .. s.output.unitEn},
    {"单位产品排放 kgCO2 per unit", cell(m.intensity.kgco2PerUnit), "kgCO2/" .. s.output.unitEn},
    {"单位产品成本 Cost per unit", cell(m.intensity.costPerUnit), "CNY/" .. s.output.unitEn},
  }
  if m.baseline and m.baseline.mode ~= "none" then
    kpi[#kpi + 1] = {"基准期 Baseline " .. m.baseline.from .. " – " .. m.baseline.to, m.baseline.mode, ""}
    kpi[#kpi + 1] = {"节电 Electricity saved", m.baseline.electricityKwh.saved, "kWh"}
    kpi[#kpi + 1] = {"减排 CO2 saved", m.baseline.co2T.saved, "tCO2"}
    kpi[#kpi + 1] = {"节约费用 Cost saved", m.baseline.cost.saved, "CNY"}
  end
  local meters, shops, days = {}, {}, {}
  for _, x in ipairs(m.meters) do
    local row = row_of(x.name, x)
    table.insert(row, 2, x.workshop)
    meters[#meters + 1] = row
  end
  for _, x in ipairs(m.workshops) do shops[#shops + 1] = row_of(x.workshop, x) end
  for _, d in ipairs(m.trend) do
    days[#days + 1] = {d.date, d.electricityKwh, d.gasM3, d.output, d.cost, d.co2T, d.tce}
  end
  local meter_columns = copy(BREAKDOWN_COLUMNS)
  meter_columns[1] = "计量点 Meter"
  table.insert(meter_columns, 2, "车间 Workshop")
  local shop_columns = copy(BREAKDOWN_COLUMNS)
  shop_columns[1] = "车间 Workshop"
  local params = {
    {"tariff", s.tariff.name, sources.tariff},
    {"tariff hours 0-23 (s sharp, p peak, f flat, v valley)", s.tariff.hours, ""}, {"price sharp CNY/kWh", s.tariff.prices.sharp, ""},
    {"price peak CNY/kWh", s.tariff.prices.peak, ""}, {"price flat CNY/kWh", s.tariff.prices.flat, ""},
    {"price valley CNY/kWh", s.tariff.prices.valley, ""}, {"gas CNY/m³", s.prices.gas, ""},
    {"water CNY/m³", s.prices.water, ""}, {"steam CNY/t", s.prices.steam, ""},
    {"CO2 electricity kg/kWh", s.co2.electricity, sources.co2_electricity}, {"CO2 gas kg/m³", s.co2.gas, sources.co2_gas},
    {"CO2 steam kg/t", s.co2.steam, sources.co2_steam}, {"CO2 water kg/m³", s.co2.water, ""},
    {"tce electricity kgce/kWh", s.tce.electricity, sources.tce}, {"tce gas kgce/m³", s.tce.gas, sources.tce},
    {"local time UTC+minutes", s.tzOffsetMinutes, ""}, {"output key", s.output.key, ""},
  }
  local title = "节能减排月报 Energy & carbon report " .. month
  local file = kaiwu.files.xlsx("energy-" .. month .. ".xlsx", {
    {name = "Summary 汇总", title = title, columns = {"指标 Item", "值 Value", "单位 Unit"}, rows = kpi},
    {name = "Meters 计量点", columns = meter_columns, rows = meters},
    {name = "Workshops 车间", columns = shop_columns, rows = shops},
    {name = "Daily 日明细", columns = {"日期 Date", "电 kWh", "气 m³", "产量 Output", "费用 CNY", "CO2 t", "tce"}, rows = days},
    {name = "Settings 参数", columns = {"参数 Parameter", "值 Value", "来源 Source"}, rows = params},
  })
  return {file = file, month = month}
end
