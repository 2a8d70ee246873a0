-- kaiwu-safety 安全生产 · hazardous gas, temperature and stack emissions. Uses only the public
-- APP host API (`kaiwu.*`). Formulas and the sources of the defaults: README.md.

local HOUR, MINUTE, DAY = 3600000, 60000, 86400000

local DEFAULTS = {
  -- Gas and temperature limits: warning (first level) and alarm (second level).
  -- CO: ≈100 % / 200 % of the GBZ 2.1-2019 PC-STEL (30 mg/m³ ≈ 26 ppm); combustible gas: 25 % /
  -- 50 % LEL (GB/T 50493-2019 alarm set points); workshop temperature: plant defaults.
  limits = {
    {key = "co_ppm", zh = "一氧化碳", en = "Carbon monoxide", unit = "ppm", warning = 25, alarm = 50, type = "GasOverLimit"},
    {key = "lel_pct", zh = "可燃气体", en = "Combustible gas", unit = "%LEL", warning = 25, alarm = 50, type = "GasOverLimit"},
    {key = "temperature", zh = "环境温度", en = "Temperature", unit = "°C", warning = 35, alarm = 40,
     type = "TemperatureOverLimit"},
  },
  -- GB 13271-2014 Table 2 (new boilers), gas-fired: particulates 20, SO₂ 50, NOx 200 mg/m³, at
  -- the reference O₂ of 3.5 % for gas-fired boilers (Table 5; §5.2, formula (1)).
  pollutants = {
    {code = "a34013", key = "dust_mg_m3", zh = "颗粒物", en = "Particulates", limit = 20},
    {code = "a21026", key = "so2_mg_m3", zh = "二氧化硫", en = "SO₂", limit = 50},
    {code = "a21002", key = "nox_mg_m3", zh = "氮氧化物", en = "NOx", limit = 200},
  },
  -- Hysteresis: an open event closes only after the value has stayed below the warning level
  -- minus the deadband (10 % of it) for clearAfterMs, so a value flickering at a limit is one
  -- event, not one per spike (the reset behaviour of gas detectors' latching alarms).
  clearDeadbandPct = 10, clearAfterMs = 60000,
  o2Key = "o2_pct", referenceO2 = 3.5,
  validMinutes = 45,  -- an hourly mean needs ≥ 45 minute values (HJ 75-2017)
  utcOffsetH = 8, scanWindowMs = 600000, catchUpHours = 24,
}

local function settings()
  local s = {}
  for k, v in pairs(DEFAULTS) do s[k] = v end
  local saved = kaiwu.store.get("settings")
  if type(saved) == "table" then
    for k, v in pairs(saved) do if DEFAULTS[k] ~= nil then s[k] = v end end
  end
  return s
end

local function pad(n, w) return string.format("%0" .. w .. "d", n) end

-- Days since 1970-01-01 of a civil date and back (proleptic Gregorian).
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = (153 * mp + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = (z >= 0 and z or z - 146096) // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  return yoe + era * 400 + (m <= 2 and 1 or 0), m, d
end

local function local_time(ms, s)
  local l = ms + s.utcOffsetH * HOUR
  local y, m, d = civil_from_days(l // DAY)
  local rem = l % DAY
  return string.format("%04d-%02d-%02d %02d:%02d", y, m, d, rem // HOUR, (rem % HOUR) // MINUTE)
end

-- The hazard level of one value against a limit entry.
local function level_of(v, lim)
  if v >= lim.alarm then return "alarm" end
  if v >= lim.warning then return "warning" end
  return nil
end
local RANK = {warning = 1, alarm = 2}

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

-- Gas and temperature ---------------------------------------------------------------------

local function raise(deviceId, ev, value)
  local sev = ev.level == "alarm" and "critical" or "major"
  local details = {key = ev.key, level = ev.level, value = value, limit = ev.limit, unit = ev.unit,
                   max = ev.max, maxTs = ev.maxTs, from = ev.start, to = ev.lastTs, samples = ev.samples, event = ev.id}
  kaiwu.alarms.raise(deviceId, ev.type, sev, details)
end

-- Scans the samples since the device's cursor; opens, escalates and closes events.
local function scan_limits(s, d, from, to, out)
  local keys, by_key = {}, {}
  for _, l in ipairs(s.limits) do keys[#keys + 1] = l.key; by_key[l.key] = l end
  local r = kaiwu.telemetry.range(d.id, keys, from, to, 10000)
  for key, samples in pairs(r) do
    local lim = by_key[key]
    local skey = "state:" .. d.id .. ":" .. key
    local ev = kaiwu.store.get(skey)
    if type(ev) ~= "table" then ev = nil end
    for _, smp in ipairs(samples) do
      local v = smp.value
      if type(v) == "number" then
        local lvl = level_of(v, lim)
        if lvl and not ev then
          ev = {id = "ev:" .. pad(smp.ts, 15) .. ":" .. d.id .. ":" .. key, deviceId = d.id, deviceName = d.name,
                key = key, unit = lim.unit, type = lim.type, level = lvl,
                limit = lvl == "alarm" and lim.alarm or lim.warning, warningLimit = lim.warning, alarmLimit = lim.alarm,
                start = smp.ts, lastTs = smp.ts, max = v, maxTs = smp.ts, samples = 1}
          raise(d.id, ev, v)
          out[#out + 1] = copy(ev)
        elseif ev then
          if v > ev.max then ev.max, ev.maxTs = v, smp.ts end
          if lvl then
            ev.lastTs, ev.samples, ev.clearSince = smp.ts, ev.samples + 1, nil
            if RANK[lvl] > RANK[ev.level] then
              ev.level, ev.limit = lvl, lim.alarm
              raise(d.id, ev, v)
              out[#out + 1] = copy(ev)
            end
          elseif v < lim.warning * (1 - s.clearDeadbandPct / 100) then
            ev.clearSince = ev.clearSince or smp.ts
            if smp.ts - ev.clearSince >= s.clearAfterMs then
              ev["end"], ev.clearSince = ev.clearSince, nil  -- the start of the quiet run that closed it
              kaiwu.store.put(ev.id, ev)
              ev = nil
            end
          else
            ev.clearSince = nil  -- under the warning level but inside the deadband: still open
          end
        end
      end
    end
    if ev then
      kaiwu.store.put(ev.id, ev)
      kaiwu.store.put(skey, ev)
    else
      kaiwu.store.delete(skey)
    end
  end
end

-- Emissions -------------------------------------------------------------------------------

-- Hourly means of every pollutant and O₂ over [from, to) from minute means; each hour: mean,
-- minutes with data, O₂ mean and the concentration converted to the reference O₂:
--   ρ = ρ' × (21 − φ(O₂)ref) / (21 − φ'(O₂))
local function hourly(s, d, from, to)
  local keys = {s.o2Key}
  for _, p in ipairs(s.pollutants) do keys[#keys + 1] = p.key end
  local agg = kaiwu.telemetry.aggregate(d.id, keys, from, to, MINUTE, "avg")
  local sums = {}  -- [hourStart][key] = {sum, n}
  for key, pts in pairs(agg) do
    for _, pt in ipairs(pts) do
      if type(pt.value) == "number" then
        local h = pt.ts - (pt.ts % HOUR)
        sums[h] = sums[h] or {}
        local c = sums[h][key] or {sum = 0, n = 0}
        c.sum, c.n = c.sum + pt.value, c.n + 1
        sums[h][key] = c
      end
    end
  end
  local hours = {}
  for h = from - (from % HOUR), to - 1, HOUR do
    local row = {start = h, ["end"] = h + HOUR, pollutants = {}}
    local o2 = sums[h] and sums[h][s.o2Key]
    row.o2 = o2 and o2.sum / o2.n or nil
    row.o2Minutes = o2 and o2.n or 0
    for _, p in ipairs(s.pollutants) do
      local c = sums[h] and sums[h][p.key]
      local e = {code = p.code, key = p.key, limit = p.limit, minutes = c and c.n or 0}
      if c then e.measured = c.sum / c.n end
      e.valid = e.minutes >= s.validMinutes and row.o2Minutes >= s.validMinutes and row.o2 ~= nil and row.o2 < 21
      if e.valid then
        e.corrected = e.measured * (21 - s.referenceO2) / (21 - row.o2)
        e.exceeded = e.corrected > p.limit
      end
      row.pollutants[p.key] = e
    end
    hours[#hours + 1] = row
  end
  return hours
end

local function is_station(s, d)
  local keys = {s.o2Key}
  for _, p in ipairs(s.pollutants) do keys[#keys + 1] = p.key end
  local l = kaiwu.telemetry.latest(d.id, keys)
  if not l[s.o2Key] then return false end
  for _, p in ipairs(s.pollutants) do if l[p.key] then return true end end
  return false
end

-- Complete hours since the last one checked (an explicit `to`: the catch-up hours before it,
-- cursor untouched): an exceedance is an event and a critical alarm.
local function scan_emissions(s, d, to, explicit, out)
  local last_complete = to - (to % HOUR)
  local ckey = "emis-cursor:" .. d.id
  local from = last_complete - s.catchUpHours * HOUR
  if not explicit then from = math.max(from, kaiwu.store.get(ckey) or from) end
  if from >= last_complete then return end
  for _, row in ipairs(hourly(s, d, from, last_complete)) do
    for _, p in ipairs(s.pollutants) do
      local e = row.pollutants[p.key]
      if e.exceeded then
        local ev = {id = "ev:" .. pad(row.start, 15) .. ":" .. d.id .. ":" .. p.key, deviceId = d.id,
                    deviceName = d.name, key = p.key, code = p.code, unit = "mg/m³", type = "EmissionOverLimit",
                    level = "alarm", limit = p.limit, start = row.start, ["end"] = row["end"], max = e.corrected,
                    measured = e.measured, o2 = row.o2, referenceO2 = s.referenceO2, minutes = e.minutes}
        kaiwu.store.put(ev.id, ev)
        kaiwu.alarms.raise(d.id, "EmissionOverLimit", "critical",
                           {pollutant = p.key, code = p.code, measured = e.measured, o2 = row.o2,
                            referenceO2 = s.referenceO2, corrected = e.corrected, limit = p.limit,
                            from = row.start, to = row["end"], minutes = e.minutes, event = ev.id})
        out[#out + 1] = ev
      end
    end
  end
  if not explicit then kaiwu.store.put(ckey, last_complete) end
end

-- Functions -------------------------------------------------------------------------------

function check(input, ctx)
  local s = settings()
  local to = input.to or kaiwu.now()
  local events = {}
  for _, d in ipairs(kaiwu.devices.list()) do
    if not input.deviceId or input.deviceId == d.id then
      local ckey = "cursor:" .. d.id
      local from = input.from or kaiwu.store.get(ckey) or (to - s.scanWindowMs)
      scan_limits(s, d, from, to, events)
      if not input.from then kaiwu.store.put(ckey, to) end
      if is_station(s, d) then scan_emissions(s, d, to, input.to ~= nil, events) end
    end
  end
  return {events = events, from = input.from, to = to}
end

function tick(input, ctx)
  local r = check({}, ctx)
  if #r.events > 0 then kaiwu.log("new or escalated events:", #r.events) end
  return {events = #r.events}
end

function events(input, ctx)
  local out = {}
  for _, kv in ipairs(kaiwu.store.list("ev:", input.limit or 500)) do
    if not input.deviceId or kv.value.deviceId == input.deviceId then out[#out + 1] = kv.value end
  end
  table.sort(out, function(a, b) return a.start > b.start end)
  return {items = out}
end

function status(input, ctx)
  local s = settings()
  local keys = {}
  for _, l in ipairs(s.limits) do keys[#keys + 1] = l.key end
  local sensors, stations = {}, {}
  for _, d in ipairs(kaiwu.devices.list()) do
    local l = kaiwu.telemetry.latest(d.id, keys)
    local row, any = {deviceId = d.id, name = d.name, values = {}}, false
    for _, lim in ipairs(s.limits) do
      local v = l[lim.key]
      if v and type(v.value) == "number" then
        any = true
        row.values[lim.key] = {value = v.value, ts = v.ts, level = level_of(v.value, lim) or "ok"}
      end
    end
    if any then sensors[#sensors + 1] = row end
    if is_station(s, d) then
      local now = kaiwu.now()
      local hours = hourly(s, d, now - now % HOUR - HOUR, now - now % HOUR)
      stations[#stations + 1] = {deviceId = d.id, name = d.name, lastHour = hours[1]}
    end
  end
  return {sensors = sensors, stations = stations, limits = s.limits, pollutants = s.pollutants,
          referenceO2 = s.referenceO2}
end

-- Daily compliance report for a local date ("YYYY-MM-DD", default yesterday), XLSX optional.
function report(input, ctx)
  local s = settings()
  local day
  if input.date then
    local y, m, d = string.match(input.date, "^(%d%d%d%d)-(%d%d)-(%d%d)$")
    if not y then error("date must be YYYY-MM-DD") end
    day = days_from_civil(tonumber(y), tonumber(m), tonumber(d))
  else
    day = (kaiwu.now() + s.utcOffsetH * HOUR) // DAY - 1
  end
  local y, m, dd = civil_from_days(day)
  local date = string.format("%04d-%02d-%02d", y, m, dd)
  local from = day * DAY - s.utcOffsetH * HOUR
  local to = from + DAY
  local rows, hourly_rows = {}, {}
  for _, d in ipairs(kaiwu.devices.list()) do
    if (not input.deviceId or input.deviceId == d.id) and is_station(s, d) then
      local hours = hourly(s, d, from, to)
      for _, p in ipairs(s.pollutants) do
        local r = {deviceId = d.id, device = d.name, pollutant = p.key, code = p.code, zh = p.zh, en = p.en,
                   limit = p.limit, validHours = 0, exceedanceHours = 0}
        local sum = 0
        for _, h in ipairs(hours) do
          local e = h.pollutants[p.key]
          if e.valid then
            r.validHours = r.validHours + 1
            sum = sum + e.corrected
            r.max = math.max(r.max or e.corrected, e.corrected)
            if e.exceeded then r.exceedanceHours = r.exceedanceHours + 1 end
          end
          hourly_rows[#hourly_rows + 1] = {d.name, local_time(h.start, s), p.code, e.measured or "", h.o2 or "",
                                           e.corrected or "", e.minutes, e.valid and "Y" or "N",
                                           e.exceeded and "Y" or "N"}
        end
        if r.validHours > 0 then r.mean = sum / r.validHours end
        r.compliant = r.exceedanceHours == 0
        rows[#rows + 1] = r
      end
    end
  end
  local out = {date = date, from = from, to = to, referenceO2 = s.referenceO2, rows = rows}
  if input.xlsx ~= false then
    local sheet = {}
    for _, r in ipairs(rows) do
      sheet[#sheet + 1] = {r.device, r.zh .. " " .. r.en, r.code, r.limit, r.validHours, r.exceedanceHours,
                           r.max or "", r.mean or "", r.compliant and "Y" or "N"}
    end
    out.file = kaiwu.files.xlsx("compliance-" .. date .. ".xlsx", {
      {name = "Compliance", title = "日排放达标报告 Daily emission compliance " .. date ..
         string.format(" (O2 ref %.1f %%, GB 13271-2014)", s.referenceO2),
       columns = {"Device", "Pollutant", "HJ 212 code", "Limit mg/m3", "Valid hours", "Exceedance hours",
                  "Max mg/m3", "Mean mg/m3", "Compliant"}, rows = sheet},
      {name = "Hourly", columns = {"Device", "Hour (local)", "Code", "Measured mg/m3", "O2 %", "Corrected mg/m3",
                                   "Minutes", "Valid", "Exceeded"}, rows = hourly_rows},
    })
  end
  return out
end

function config(input, ctx)
  local s = settings()
  if type(input.set) == "table" then
    local saved = kaiwu.store.get("settings")
    if type(saved) ~= "table" then saved = {} end
    for k, v in pairs(input.set) do
      if DEFAULTS[k] == nil then error("unknown setting " .. tostring(k)) end
      if type(v) ~= type(DEFAULTS[k]) then error("setting " .. k .. " must be a " .. type(DEFAULTS[k])) end
      saved[k] = v
    end
    kaiwu.store.put("settings", saved)
    s = settings()
  end
  return {settings = s, defaults = DEFAULTS}
end
