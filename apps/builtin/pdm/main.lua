-- kaiwu-pdm 运维服务 · predictive maintenance. Uses only the public APP host API (`kaiwu.*`).
-- Per asset: vibration features of the newest waveform window (kaiwu.vibration.features and
-- kaiwu.spectrum.fft band energies), a health index 0–100, an EWMA anomaly score against the
-- asset's own baseline, a trend of the health index to the failure threshold (remaining useful
-- life) and maintenance work orders. Formulas: README.md.

local DEFAULTS = {
  levelKey = "vibration_mm_s", waveKey = "vib_wave_mm_s", tempKey = "bearing_temp_c",
  maintenanceKey = "maintenance_count",
  windowMs = 600000, windowSamples = 256, fftWindow = "none",
  bands = {{name = "running", lo = 0, hi = 0.1}, {name = "defect", lo = 0.15, hi = 0.25},
           {name = "high", lo = 0.25, hi = 0.5}},
  defectBand = "defect",
  vibGood = 2.3, vibAlarm = 4.5,        -- mm/s RMS, ISO 10816-3 group 2, flexible: zones A/B and B/C
  defectGood = 0.2, defectAlarm = 2.0,  -- mm/s amplitude of the defect band component
  tempGood = 60, tempAlarm = 75,        -- °C bearing temperature
  weights = {vib = 0.5, defect = 0.3, temp = 0.2},
  runningLevel = 0.5,                   -- mm/s: below it the machine is stopped and not assessed
  baselineMs = 3600000, baselineMinSamples = 200, ewmaAlpha = 0.3, anomalyThreshold = 3,
  trendMs = 7 * 86400000, trendBucketMs = 3600000, minTrendPoints = 6,
  failureHI = 20, workOrderHI = 40, workOrderRulH = 168,
}

local ACTIVE = {open = true, assigned = true, in_progress = true}
local NEXT = {
  open = {assigned = true, cancelled = true},
  assigned = {in_progress = true, cancelled = true},
  in_progress = {done = true, cancelled = true},
  done = {}, cancelled = {},
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

local function finite(x)
  if type(x) ~= "number" or x ~= x or x == math.huge or x == -math.huge then return nil end
  return x
end

local function clamp01(x) return math.max(0, math.min(1, x)) end
local function severity(x, good, alarm) return clamp01((x - good) / (alarm - good)) end

local function numbers(samples)
  local ts, xs = {}, {}
  for _, s in ipairs(samples or {}) do
    if type(s.value) == "number" then ts[#ts + 1] = s.ts; xs[#xs + 1] = s.value end
  end
  return ts, xs
end

local function mean(xs)
  if #xs == 0 then return nil end
  local sum = 0
  for _, x in ipairs(xs) do sum = sum + x end
  return sum / #xs
end

local function find_device(id)
  local ok, d = pcall(kaiwu.devices.get, id)
  if not ok or type(d) ~= "table" then error("device " .. tostring(id) .. " not found") end
  return d
end

-- Devices with vibration, a stored health index or a bearing temperature are assets.
local function assets(s)
  local out = {}
  for _, d in ipairs(kaiwu.devices.list()) do
    local l = kaiwu.telemetry.latest(d.id, {s.levelKey, s.waveKey, s.tempKey, "health_index"})
    if l[s.levelKey] or l[s.waveKey] or l["health_index"] then out[#out + 1] = d end
  end
  return out
end

-- Features of the newest waveform window: RMS, peak, crest factor, kurtosis, band energies.
local function waveform_features(s, id, now)
  local r = kaiwu.telemetry.range(id, {s.waveKey}, now - s.windowMs, now + 1, 10000)
  local ts, xs = numbers(r[s.waveKey])
  if #xs < 16 then return nil end
  local first = math.max(1, #xs - s.windowSamples + 1)
  local wts, wxs = {}, {}
  for i = first, #xs do wts[#wts + 1] = ts[i]; wxs[#wxs + 1] = xs[i] end
  local span = (wts[#wts] - wts[1]) / 1000
  if span <= 0 then return nil end
  local fs = (#wxs - 1) / span
  local f = kaiwu.models.invoke("kaiwu.vibration.features", {x = wxs})
  local edges = {}
  for _, b in ipairs(s.bands) do edges[#edges + 1] = b.lo; edges[#edges + 1] = b.hi end
  local spec = kaiwu.models.invoke("kaiwu.spectrum.fft", {x = wxs}, {sampleRate = fs, window = s.fftWindow, bands = edges})
  local bands = {}
  for i, b in ipairs(s.bands) do bands[b.name] = spec.bandEnergy[i] end
  return {samples = #wxs, sampleRateHz = fs, from = wts[1], to = wts[#wts], rms = f.rms, peak = f.peak,
          crestFactor = f.crestFactor, kurtosis = f.kurtosis, peakFrequencyHz = spec.peakFrequency, bandEnergy = bands}
end

-- The asset's own baseline: mean and standard deviation of the level and temperature over the
-- hour before it was taken (again after each maintenance).
local function baseline(s, id, now, maintenance)
  local key = "baseline:" .. id
  local b = kaiwu.store.get(key)
  if type(b) == "table" and b.maintenance == maintenance then return b end
  local r = kaiwu.telemetry.range(id, {s.levelKey, s.tempKey}, now - s.baselineMs, now + 1, 10000)
  b = {takenAt = now, maintenance = maintenance}
  local waiting = false  -- a signal with some but too few values: learn later, all at once
  for name, k in pairs({level = s.levelKey, temp = s.tempKey}) do
    local _, all = numbers(r[k])
    local xs = all
    if name == "level" then  -- running values only
      xs = {}
      for _, x in ipairs(all) do if x >= s.runningLevel then xs[#xs + 1] = x end end
    end
    if #xs >= s.baselineMinSamples then
      local d = kaiwu.models.invoke("kaiwu.stats.descriptive", {x = xs})
      b[name] = {mean = d.mean, sd = d.stdevSample, n = d.count}
    elseif #all > 0 then
      waiting = true
    end
  end
  if waiting or (b.level == nil and b.temp == nil) then return nil end
  kaiwu.store.put(key, b)
  return b
end

-- |EWMA of the newest window − baseline mean| / baseline σ (σ floored at 2 % of the mean).
local function anomaly(s, b, xs, ref)
  if not ref or #xs == 0 then return nil end
  local e = kaiwu.models.invoke("kaiwu.anomaly.ewma", {x = xs}, {alpha = s.ewmaAlpha, threshold = s.anomalyThreshold})
  local last = e.ewma[#e.ewma]
  local sd = math.max(ref.sd or 0, 0.02 * math.abs(ref.mean), 1e-9)
  return math.abs(last - ref.mean) / sd
end

-- Linear and exponential fits of the stored health index; the better one gives the crossing.
local function fit_trend(s, id, now)
  local from = now - s.trendMs
  local series
  if kaiwu.telemetry.aggregate then
    series = kaiwu.telemetry.aggregate(id, {"health_index"}, from, now + 1, s.trendBucketMs, "avg")
  else
    series = kaiwu.telemetry.range(id, {"health_index"}, from, now + 1, 10000)
  end
  local ts, ys = numbers(series["health_index"])
  local out = {points = {}, threshold = s.failureHI, n = #ys}
  for i = 1, #ts do out.points[i] = {ts[i], ys[i]} end
  if #ys < s.minTrendPoints then out.status = "insufficient_data"; return out end
  local t0, xs, ls = ts[1], {}, {}
  for i = 1, #ts do
    xs[i] = (ts[i] - t0) / 3600000
    ls[i] = math.log(math.max(100 - ys[i], 0.5))
  end
  local lin = kaiwu.models.invoke("kaiwu.regression.linear", {x = xs, y = ys})
  local ex = kaiwu.models.invoke("kaiwu.regression.linear", {x = xs, y = ls})
  local last = xs[#xs]
  local cross, model, r2, rmse
  if (finite(ex.r2) or -1) > (finite(lin.r2) or -1) + 0.02 and ex.slope > 1e-9 then
    model, r2, rmse = "exponential", ex.r2, ex.rmse
    cross = (math.log(100 - s.failureHI) - ex.intercept) / ex.slope
  else
    model, r2, rmse = "linear", lin.r2, lin.rmse
    if lin.slope < -1e-9 then cross = (s.failureHI - lin.intercept) / lin.slope end
  end
  out.fit = {model = model, r2 = finite(r2), rmse = finite(rmse), slopePerHour = finite(lin.slope),
             intercept = finite(lin.intercept), linearR2 = finite(lin.r2), expRate = finite(ex.slope),
             expIntercept = finite(ex.intercept), expR2 = finite(ex.r2), t0 = t0}
  if cross == nil or not finite(cross) then out.status = "not_degrading"; return out end
  out.status = "degrading"
  out.rulHours = math.max(0, cross - last)
  out.predictedCrossingTs = math.floor(ts[#ts] + out.rulHours * 3600000 + 0.5)
  return out
end

-- Work orders --------------------------------------------------------------------------------

local function wo_key(id) return "wo:" .. id end

local function wo_get(id)
  local w = kaiwu.store.get(wo_key(id))
  if type(w) ~= "table" then error("work order " .. tostring(id) .. " not found") end
  return w
end

local function wo_create(device, title, reason, evidence, by)
  local active = kaiwu.store.get("wo-active:" .. device.id)
  if active then
    local w = kaiwu.store.get(wo_key(active))
    if type(w) == "table" and ACTIVE[w.state] then return w, false end
  end
  local seq = (kaiwu.store.get("wo-seq") or 0) + 1
  kaiwu.store.put("wo-seq", seq)
  local now = kaiwu.now()
  local w = {id = string.format("WO-%06d", seq), deviceId = device.id, deviceName = device.name, title = title,
             reason = reason, evidence = evidence, state = "open", createdAt = now, updatedAt = now, createdBy = by,
             history = {{state = "open", at = now, by = by}}}
  kaiwu.store.put(wo_key(w.id), w)
  kaiwu.store.put("wo-active:" .. device.id, w.id)
  return w, true
end

local function auto_work_order(s, device, hi, trend)
  local reason
  if hi and hi < s.workOrderHI then
    reason = string.format("health index %.1f < %g", hi, s.workOrderHI)
  elseif trend.rulHours and trend.rulHours < s.workOrderRulH then
    reason = string.format("remaining useful life %.1f h < %g h", trend.rulHours, s.workOrderRulH)
  end
  if not reason then return nil end
  local w, created = wo_create(device, "Predictive maintenance: " .. device.name, reason,
                               {healthIndex = hi, rulHours = trend.rulHours, fit = trend.fit}, "kaiwu-pdm")
  if created then
    pcall(kaiwu.alarms.raise, device.id, "MaintenanceDue", "minor", {workOrder = w.id, reason = reason})
  end
  return w.id
end

-- Assessment of one asset --------------------------------------------------------------------

local function assess_device(s, d, now)
  local r = kaiwu.telemetry.range(d.id, {s.levelKey, s.tempKey}, now - s.windowMs, now + 1, 10000)
  local _, levels = numbers(r[s.levelKey])
  local _, temps = numbers(r[s.tempKey])
  local maint = kaiwu.telemetry.latest(d.id, {s.maintenanceKey})[s.maintenanceKey]
  local a = {deviceId = d.id, name = d.name, at = now, level = mean(levels), temperature = mean(temps),
             maintenanceCount = maint and maint.value or 0}
  if a.level and a.level < s.runningLevel then
    a.stopped = true  -- a stopped machine says nothing about its bearing: keep the last assessment's trend
  else
    a.features = waveform_features(s, d.id, now)
  end
  -- Health index: weighted severities of the available indicators.
  local parts, wsum = 0, 0
  local function add(weight, sev) parts = parts + weight * sev; wsum = wsum + weight end
  if a.level and not a.stopped then add(s.weights.vib, severity(a.level, s.vibGood, s.vibAlarm)) end
  if a.features and a.features.bandEnergy[s.defectBand] then
    a.defectAmplitude = math.sqrt(2 * a.features.bandEnergy[s.defectBand])
    add(s.weights.defect, severity(a.defectAmplitude, s.defectGood, s.defectAlarm))
  end
  if a.temperature and not a.stopped then add(s.weights.temp, severity(a.temperature, s.tempGood, s.tempAlarm)) end
  local written = {}
  if wsum > 0 then
    a.healthIndex = 100 * (1 - parts / wsum)
    written.health_index = a.healthIndex
  end
  local b = not a.stopped and baseline(s, d.id, now, a.maintenanceCount) or nil
  if b then
    local zl = anomaly(s, b, levels, b.level)
    local zt = anomaly(s, b, temps, b.temp)
    if zl or zt then
      a.anomalyScore = math.max(zl or 0, zt or 0)
      a.anomaly = a.anomalyScore > s.anomalyThreshold
      written.anomaly_score = a.anomalyScore
    end
    a.baseline = b
  end
  if a.features then
    written.vib_rms = a.features.rms
    written.vib_kurtosis = a.features.kurtosis
    written.vib_crest = a.features.crestFactor
    for name, e in pairs(a.features.bandEnergy) do written["band_" .. name] = e end
  end
  if next(written) then kaiwu.telemetry.write(d.id, written, now) end
  local trend = fit_trend(s, d.id, now)
  a.rulHours, a.trendStatus, a.fit = trend.rulHours, trend.status, trend.fit
  if a.healthIndex == nil then
    local h = kaiwu.telemetry.latest(d.id, {"health_index"})["health_index"]
    a.healthIndex = h and h.value or nil
  end
  a.workOrder = auto_work_order(s, d, a.healthIndex, trend)
  kaiwu.store.put("asset:" .. d.id, a)
  return a
end

-- Functions ----------------------------------------------------------------------------------

function assess(input, ctx)
  local s, now = settings(), kaiwu.now()
  local list = input.deviceId and {find_device(input.deviceId)} or assets(s)
  local out = {}
  for _, d in ipairs(list) do out[#out + 1] = assess_device(s, d, now) end
  return {assets = out}
end

function tick(input, ctx)
  local r = assess({}, ctx)
  kaiwu.log("assessed", #r.assets, "assets")
  return {assessed = #r.assets}
end

function overview(input, ctx)
  local s = settings()
  local out = {}
  for _, d in ipairs(assets(s)) do
    local a = kaiwu.store.get("asset:" .. d.id)
    if type(a) ~= "table" then a = assess_device(s, d, kaiwu.now()) end
    local active = kaiwu.store.get("wo-active:" .. d.id)
    a.openWorkOrder = active
    a.baseline = nil
    out[#out + 1] = a
  end
  table.sort(out, function(x, y) return (x.healthIndex or 101) < (y.healthIndex or 101) end)
  return {assets = out, thresholds = {failureHI = s.failureHI, workOrderHI = s.workOrderHI,
                                      workOrderRulH = s.workOrderRulH}}
end

function trend(input, ctx)
  local s = settings()
  local d = find_device(input.deviceId)
  local t = fit_trend(s, d.id, input.to or kaiwu.now())
  t.deviceId, t.name = d.id, d.name
  return t
end

function workorders(input, ctx)
  local out = {}
  for _, kv in ipairs(kaiwu.store.list("wo:", 1000)) do
    local w = kv.value
    if not input.state or w.state == input.state then
      if not input.deviceId or w.deviceId == input.deviceId then out[#out + 1] = w end
    end
  end
  table.sort(out, function(a, b) return a.id > b.id end)
  return {items = out}
end

function workorder_create(input, ctx)
  local d = find_device(input.deviceId)
  local w, created = wo_create(d, input.title or ("Maintenance: " .. d.name), input.reason or "manual", nil,
                               input.by or "user")
  return {workOrder = w, created = created}
end

-- open → assigned → in_progress → done; open / assigned / in_progress → cancelled.
function workorder_transition(input, ctx)
  local w = wo_get(input.id)
  local to = input.to
  if not NEXT[w.state] or not NEXT[w.state][to] then
    error(string.format("illegal transition %s → %s for %s", w.state, tostring(to), w.id))
  end
  if to == "assigned" then
    if type(input.assignee) ~= "string" or input.assignee == "" then error("assigning needs an assignee") end
    w.assignee = input.assignee
  end
  local now = kaiwu.now()
  w.state, w.updatedAt = to, now
  w.history[#w.history + 1] = {state = to, at = now, by = input.by or "user", note = input.note}
  kaiwu.store.put(wo_key(w.id), w)
  if not ACTIVE[to] then
    kaiwu.store.delete("wo-active:" .. w.deviceId)
    if to == "done" then kaiwu.store.delete("baseline:" .. w.deviceId) end  -- learn the repaired state
  end
  return {workOrder = w}
end

-- Forget the asset's baseline: the next assessment learns it again from the last hour.
function baseline_reset(input, ctx)
  local d = find_device(input.deviceId)
  return {deleted = kaiwu.store.delete("baseline:" .. d.id)}
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
