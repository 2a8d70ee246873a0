-- Kaiwu SPC (质量管控): X̄-R and X̄-S control charts of a measured characteristic, Cp/Cpk/Pp/Ppk
-- against specification limits, Western Electric rules 1–4 and the Nelson rules beyond them
-- (3, 4, 7, 8) on every new subgroup, each violation raised as an alarm with its points.
-- Uses only the public APP host API; limits and capability come from the platform's models
-- kaiwu.spc.chart and kaiwu.spc.capability. Formulas and defaults: README.md of this APP.

local HOUR = 3600000
local KEEP_SUBGROUPS = 100   -- per device × characteristic, in the store
local KEEP_VIOLATIONS = 30
local MAX_SAMPLES = 10000    -- per scan, device and characteristic

local DEFAULT_CHARACTERISTIC = {
  key = "bore_diameter_mm", zh = "孔径", en = "Bore diameter", unit = "mm",
  chart = "xbar_r", n = 5, baselineSubgroups = 20,
  lsl = 24.985, usl = 25.015, target = 25.0, partKey = "part_count",
}

-- Rule codes, texts and alarm severities. Nelson 1, 5 and 6 are Western Electric 1, 2 and 3;
-- Nelson 2 (9 on a side) is covered by Western Electric 4 (8 on a side).
local RULES = {
  WE1 = {zh = "1点超出3σ控制限", en = "1 point beyond 3σ", severity = "major"},
  WE2 = {zh = "连续3点中有2点在同侧2σ以外", en = "2 of 3 points beyond 2σ on one side", severity = "minor"},
  WE3 = {zh = "连续5点中有4点在同侧1σ以外", en = "4 of 5 points beyond 1σ on one side", severity = "minor"},
  WE4 = {zh = "连续8点在中心线同侧", en = "8 points in a row on one side of the centre line", severity = "minor"},
  N3 = {zh = "连续6点递增或递减", en = "6 points in a row steadily increasing or decreasing", severity = "minor"},
  N4 = {zh = "连续14点交替上下", en = "14 points in a row alternating up and down", severity = "minor"},
  N7 = {zh = "连续15点在1σ以内", en = "15 points in a row within 1σ (stratification)", severity = "warning"},
  N8 = {zh = "连续8点在1σ以外且两侧都有", en = "8 points in a row beyond 1σ on both sides (mixture)", severity = "minor"},
  R1 = {zh = "极差/标准差图1点超出控制限", en = "1 point beyond the R/S chart limits", severity = "major"},
}
local RULE_ORDER = {"WE1", "WE2", "WE3", "WE4", "N3", "N4", "N7", "N8", "R1"}

-- ---------------------------------------------------------------- settings

local function copy(t)
  if type(t) ~= "table" then return t end
  local out = {}
  for k, v in pairs(t) do out[k] = copy(v) end
  return out
end

local function normalise(s)
  s = copy(s or {})
  s.characteristics = s.characteristics or {copy(DEFAULT_CHARACTERISTIC)}
  if type(s.characteristics) ~= "table" or #s.characteristics == 0 then error("characteristics: at least one") end
  local keys = {}
  for i, c in ipairs(s.characteristics) do
    local where = "characteristics[" .. i .. "]"
    for k, v in pairs(DEFAULT_CHARACTERISTIC) do
      if c[k] == nil and k ~= "key" and k ~= "lsl" and k ~= "usl" and k ~= "target" then c[k] = v end
    end
    if type(c.key) ~= "string" or c.key == "" then error(where .. ".key: the telemetry key of the measurement") end
    if keys[c.key] then error(where .. ".key: duplicate " .. c.key) end
    keys[c.key] = true
    if c.chart ~= "xbar_r" and c.chart ~= "xbar_s" then error(where .. ".chart: xbar_r or xbar_s") end
    if math.type(c.n) ~= "integer" or c.n < 2 or c.n > 10 then error(where .. ".n: subgroup size 2..10") end
    if math.type(c.baselineSubgroups) ~= "integer" or c.baselineSubgroups < 2 or c.baselineSubgroups > 50 then
      error(where .. ".baselineSubgroups: 2..50 subgroups to compute the limits from")
    end
    if c.lsl ~= nil and type(c.lsl) ~= "number" then error(where .. ".lsl: a number") end
    if c.usl ~= nil and type(c.usl) ~= "number" then error(where .. ".usl: a number") end
    if c.lsl and c.usl and not (c.usl > c.lsl) then error(where .. ": usl must be greater than lsl") end
  end
  s.rules = s.rules or {}
  for _, r in ipairs(RULE_ORDER) do
    if s.rules[r] == nil then s.rules[r] = true end
  end
  s.lookbackH = tonumber(s.lookbackH) or 24
  return s
end

local function settings() return normalise(kaiwu.store.get("settings")) end

local function state_key(device_id, key) return "state/" .. device_id .. "/" .. key end

-- ---------------------------------------------------------------- statistics of a subgroup

local function subgroup(values, ts, part)
  local n, sum, lo, hi = #values, 0, math.huge, -math.huge
  for _, v in ipairs(values) do
    sum = sum + v
    if v < lo then lo = v end
    if v > hi then hi = v end
  end
  local mean, ss = sum / n, 0
  for _, v in ipairs(values) do ss = ss + (v - mean) ^ 2 end
  return {ts = ts, part = part, values = values, mean = mean, range = hi - lo, sd = math.sqrt(ss / (n - 1))}
end

local function flat(groups, from)
  local x = {}
  for i = from or 1, #groups do
    for _, v in ipairs(groups[i].values) do x[#x + 1] = v end
  end
  return x
end

-- Limits from the platform model over the given subgroups.
local function compute_limits(c, groups)
  local out = kaiwu.models.invoke("kaiwu.spc.chart", {x = flat(groups)}, {chart = c.chart, subgroupSize = c.n})
  return {center = out.center, ucl = out.ucl, lcl = out.lcl, dispersionCenter = out.dispersionCenter,
          dispersionUcl = out.dispersionUcl, dispersionLcl = out.dispersionLcl, sigmaWithin = out.sigmaWithin,
          chart = c.chart, n = c.n, subgroups = #groups, from = groups[1].ts, to = groups[#groups].ts}
end

-- ---------------------------------------------------------------- rules

-- Rules violated by the newest point of `pts` (phase-II subgroups, oldest first): each one the
-- newest point completes. z = (x̄ − CL) / σx̄ with σx̄ = (UCL − CL) / 3.
local function violations(pts, limits, enabled)
  local sigma = (limits.ucl - limits.center) / 3
  local n = #pts
  if n == 0 or not (sigma > 0) then return {} end
  local z = {}
  for i, p in ipairs(pts) do z[i] = (p.mean - limits.center) / sigma end
  local found = {}
  local function hit(rule, count)
    if enabled[rule] then found[#found + 1] = {rule = rule, first = math.max(1, n - count + 1)} end
  end
  local last = z[n]
  if math.abs(last) > 3 then hit("WE1", 1) end
  local side = last > 0 and 1 or -1
  local function beyond(i, k) return z[i] * side > k end
  local function count_beyond(window, k)
    local c = 0
    for i = math.max(1, n - window + 1), n do
      if beyond(i, k) then c = c + 1 end
    end
    return c
  end
  if beyond(n, 2) and count_beyond(3, 2) >= 2 then hit("WE2", 3) end
  if beyond(n, 1) and count_beyond(5, 1) >= 4 then hit("WE3", 5) end
  if n >= 8 then
    local same = true
    for i = n - 7, n do
      if not (z[i] * side > 0) then same = false end
    end
    if same then hit("WE4", 8) end
  end
  if n >= 6 then
    local up, down = true, true
    for i = n - 4, n do
      if not (pts[i].mean > pts[i - 1].mean) then up = false end
      if not (pts[i].mean < pts[i - 1].mean) then down = false end
    end
    if up or down then hit("N3", 6) end
  end
  if n >= 14 then
    local alternating = true
    for i = n - 11, n do  -- 13 differences of the 14 points, each of the other sign than the one before
      local a, b = pts[i].mean - pts[i - 1].mean, pts[i - 1].mean - pts[i - 2].mean
      if not (a * b < 0) then alternating = false end
    end
    if alternating then hit("N4", 14) end
  end
  if n >= 15 then
    local within = true
    for i = n - 14, n do
      if math.abs(z[i]) >= 1 then within = false end
    end
    if within then hit("N7", 15) end
  end
  if n >= 8 then
    local outside, above, below = true, false, false
    for i = n - 7, n do
      if math.abs(z[i]) <= 1 then outside = false end
      if z[i] > 1 then above = true end
      if z[i] < -1 then below = true end
    end
    if outside and above and below then hit("N8", 8) end
  end
  return found
end

local function dispersion_of(c, g) return c.chart == "xbar_s" and g.sd or g.range end

-- ---------------------------------------------------------------- scanning

local function raise(device_id, c, st, v, pts, g)
  local rule = RULES[v.rule]
  local points = {}
  if v.rule == "R1" then
    points[1] = {ts = g.ts, value = dispersion_of(c, g)}
  else
    for i = v.first, #pts do points[#points + 1] = {ts = pts[i].ts, mean = pts[i].mean} end
  end
  local l = st.limits
  local details = {rule = v.rule, zh = rule.zh, en = rule.en, key = c.key, chart = c.chart, n = c.n,
                   subgroupTs = g.ts, points = points, center = l.center, ucl = l.ucl, lcl = l.lcl,
                   dispersionUcl = l.dispersionUcl, dispersionLcl = l.dispersionLcl,
                   sigma = (l.ucl - l.center) / 3}
  kaiwu.alarms.raise(device_id, "SPC " .. v.rule .. " " .. c.key, rule.severity, details)
  st.violations = st.violations or {}
  table.insert(st.violations, {rule = v.rule, ts = g.ts, mean = g.mean, points = #points})
  while #st.violations > KEEP_VIOLATIONS do table.remove(st.violations, 1) end
end

-- Adds one complete subgroup: phase I until the limits exist, then the rules.
local function add_subgroup(device_id, c, st, s, g)
  table.insert(st.subgroups, g)
  if not st.limits then
    local phase1 = {}
    for _, x in ipairs(st.subgroups) do phase1[#phase1 + 1] = x end
    if #phase1 >= c.baselineSubgroups then
      local base = {}
      for i = #phase1 - c.baselineSubgroups + 1, #phase1 do base[#base + 1] = phase1[i] end
      st.limits = compute_limits(c, base)
      st.phase2 = {}
    end
  else
    g.phase2 = true
    table.insert(st.phase2, {ts = g.ts, mean = g.mean})
    while #st.phase2 > 15 do table.remove(st.phase2, 1) end
    local found = violations(st.phase2, st.limits, s.rules)
    local d = dispersion_of(c, g)
    if s.rules.R1 and (d > st.limits.dispersionUcl or (st.limits.dispersionLcl > 0 and d < st.limits.dispersionLcl)) then
      found[#found + 1] = {rule = "R1", first = #st.phase2}
    end
    for _, v in ipairs(found) do raise(device_id, c, st, v, st.phase2, g) end
    st.checked = (st.checked or 0) + 1
  end
  while #st.subgroups > KEEP_SUBGROUPS do table.remove(st.subgroups, 1) end
end

-- New measurements of one device and characteristic since the cursor; one per part when the
-- part counter is reported with it (a poller repeats the last part's value every second).
local function scan_one(s, c, device_id)
  local key = state_key(device_id, c.key)
  local st = kaiwu.store.get(key) or {cursor = kaiwu.now() - s.lookbackH * HOUR, subgroups = {}, pending = {}}
  local keys = {c.key}
  if c.partKey and c.partKey ~= "" then keys[2] = c.partKey end
  local data = kaiwu.telemetry.range(device_id, keys, st.cursor, kaiwu.now() + 1, MAX_SAMPLES)
  local samples = data[c.key] or {}
  if #samples == 0 then return 0 end
  local part_at = {}
  for _, p in ipairs(data[c.partKey or ""] or {}) do part_at[p.ts] = tonumber(p.value) end
  local added = 0
  for _, p in ipairs(samples) do
    local v, part = tonumber(p.value), part_at[p.ts]
    local fresh = v ~= nil and (part == nil or (part > 0 and part ~= st.lastPart))
    if fresh then
      st.lastPart = part
      table.insert(st.pending, v)
      st.pendingTs = p.ts
      if #st.pending >= c.n then
        add_subgroup(device_id, c, st, s, subgroup(st.pending, p.ts, part))
        st.pending = {}
        added = added + 1
      end
    end
  end
  st.cursor = samples[#samples].ts + 1
  kaiwu.store.put(key, st)
  return added
end

local function devices_with(key)
  local out = {}
  for _, d in ipairs(kaiwu.devices.list()) do
    if kaiwu.telemetry.latest(d.id, {key})[key] then out[#out + 1] = d end
  end
  table.sort(out, function(a, b) return a.name < b.name end)
  return out
end

-- Schedule trigger: forms subgroups from new measurements, computes the limits once the
-- baseline is complete, evaluates the rules on every later subgroup.
function scan(input, ctx)
  local s = settings()
  local added = 0
  for _, c in ipairs(s.characteristics) do
    for _, d in ipairs(devices_with(c.key)) do added = added + scan_one(s, c, d.id) end
  end
  return {subgroups = added}
end

-- ---------------------------------------------------------------- UI and API functions

local function characteristic(s, key)
  for _, c in ipairs(s.characteristics) do
    if c.key == key or key == nil then return c end
  end
  error("no characteristic " .. tostring(key) .. " in the settings")
end

local function capability(c, st)
  if not (c.lsl and c.usl) or #st.subgroups < 2 then return nil end
  local ok, out = pcall(kaiwu.models.invoke, "kaiwu.spc.capability", {x = flat(st.subgroups)},
                        {chart = c.chart, subgroupSize = c.n, lsl = c.lsl, usl = c.usl})
  if not ok then return {error = tostring(out)} end
  out.values = #st.subgroups * c.n
  return out
end

-- Everything a chart page needs for one device and characteristic (defaults: the first ones).
function chart(input, ctx)
  input = input or {}
  local s = settings()
  local c = characteristic(s, input.key)
  local devices = devices_with(c.key)
  local list = {}
  for _, d in ipairs(devices) do list[#list + 1] = {id = d.id, name = d.name} end
  local id, st = input.deviceId, nil
  if not id then  -- default: the device with the most subgroups (of the first 50)
    local best = -1
    for i = 1, math.min(#devices, 50) do
      local x = kaiwu.store.get(state_key(devices[i].id, c.key))
      local n = x and #x.subgroups or 0
      if n > best then id, st, best = devices[i].id, x, n end
    end
  end
  local out = {characteristics = s.characteristics, characteristic = c, devices = list, rules = RULES, ruleOrder = RULE_ORDER}
  if not id then return out end
  st = st or kaiwu.store.get(state_key(id, c.key)) or {subgroups = {}, pending = {}}
  local groups = {}
  for _, g in ipairs(st.subgroups) do
    groups[#groups + 1] = {ts = g.ts, mean = g.mean, range = g.range, sd = g.sd, phase2 = g.phase2 == true}
  end
  out.deviceId, out.limits, out.subgroups = id, st.limits, groups
  if not st.limits and #st.subgroups >= 5 then  -- trial limits to look at until the baseline is complete
    out.limits = compute_limits(c, st.subgroups)
    out.limits.provisional = true
  end
  out.violations, out.pending = st.violations or {}, #st.pending
  out.capability = capability(c, st)
  return out
end

-- Recomputes the limits of a device × characteristic from its newest baselineSubgroups subgroups.
function recompute_limits(input, ctx)
  input = input or {}
  local s = settings()
  local c = characteristic(s, input.key)
  if not input.deviceId then error("deviceId: required") end
  kaiwu.devices.get(input.deviceId)
  local key = state_key(input.deviceId, c.key)
  local st = kaiwu.store.get(key)
  if not st or #st.subgroups < c.baselineSubgroups then
    error("needs " .. c.baselineSubgroups .. " subgroups; has " .. (st and #st.subgroups or 0))
  end
  local base = {}
  for i = #st.subgroups - c.baselineSubgroups + 1, #st.subgroups do base[#base + 1] = st.subgroups[i] end
  st.limits, st.phase2 = compute_limits(c, base), {}
  kaiwu.store.put(key, st)
  return {limits = st.limits}
end

function get_settings(input, ctx) return {settings = settings(), rules = RULES, ruleOrder = RULE_ORDER} end

-- Stores the settings; a characteristic whose subgroup size or chart changed starts again from
-- the next measurement (its subgroups and limits no longer fit).
function put_settings(input, ctx)
  local s = normalise(input and input.settings or input)
  local old, changed = settings(), {}
  for _, c in ipairs(old.characteristics) do
    local now = nil
    for _, x in ipairs(s.characteristics) do
      if x.key == c.key then now = x end
    end
    if not now or now.n ~= c.n or now.chart ~= c.chart then changed[c.key] = true end
  end
  local reset = 0
  if next(changed) then
    for _, d in ipairs(kaiwu.devices.list()) do
      for key in pairs(changed) do
        if kaiwu.store.get(state_key(d.id, key)) then  -- from the next measurement on
          kaiwu.store.put(state_key(d.id, key), {cursor = kaiwu.now(), subgroups = {}, pending = {}})
          reset = reset + 1
        end
      end
    end
  end
  kaiwu.store.put("settings", s)
  return {settings = s, reset = reset}
end
