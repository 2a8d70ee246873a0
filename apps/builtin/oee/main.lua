-- Kaiwu OEE (生产制造): availability × performance × quality per machine, line and workshop,
-- downtime by reason with a Pareto, shift calendars. Uses only the public APP host API
-- (src/apps/README.md). Formulas and defaults: README.md of this APP.
--
-- Machines: the enterprise's devices that report the part counter (settings.keys.parts).
-- Their server attributes `workshop`, `line` and `ideal_cycle_s` place and rate them.

local MIN = 60000
local DAY = 86400000
local MAX_PAGES = 12          -- raw samples read per key and call: 12 × 10,000
local CATCH_UP_MS = 120 * MIN -- the schedule trigger processes at most this much per machine and run
local LAG_MS = 5000           -- and leaves the newest seconds for late samples

local DEFAULTS = {
  utcOffsetH = 8,
  workdays = {1, 2, 3, 4, 5, 6, 7},  -- ISO weekdays 1 = Monday … 7 = Sunday
  shifts = {
    {name = "C", from = "00:00", to = "08:00", breaks = {{from = "04:00", to = "04:30"}}},
    {name = "A", from = "08:00", to = "16:00", breaks = {{from = "12:00", to = "12:30"}}},
    {name = "B", from = "16:00", to = "24:00", breaks = {{from = "20:00", to = "20:30"}}},
  },
  idealCycleS = 40,
  keys = {state = "state_code", running = 1, parts = "part_count", rejects = "reject_count",
          reason = "downtime_reason"},
}

local REASONS = {  -- short: the chart's axis label
  ["1"] = {zh = "待料", en = "Waiting for material", short = "Material"},
  ["2"] = {zh = "换刀", en = "Tool change", short = "Tool"},
  ["3"] = {zh = "调机/换型", en = "Setup / changeover", short = "Setup"},
  ["4"] = {zh = "设备故障", en = "Equipment fault", short = "Fault"},
  ["5"] = {zh = "缺人", en = "No operator", short = "Operator"},
  ["unreported"] = {zh = "未填报原因", en = "Reason not reported", short = "Unreported"},
}

-- ---------------------------------------------------------------- settings and calendar

local function copy(t)
  if type(t) ~= "table" then return t end
  local out = {}
  for k, v in pairs(t) do out[k] = copy(v) end
  return out
end

local function hhmm(s, where)
  local h, m = tostring(s or ""):match("^(%d%d?):(%d%d)$")
  h, m = tonumber(h), tonumber(m)
  if not h or m > 59 or h * 60 + m > 24 * 60 then error(where .. ": expected a time HH:MM (00:00..24:00), got " .. tostring(s)) end
  return (h * 60 + m) * MIN
end

-- Validates a settings table; returns it with the defaults filled in.
local function normalise(s)
  s = copy(s or {})
  for k, v in pairs(DEFAULTS) do
    if s[k] == nil then s[k] = copy(v) end
  end
  for k, v in pairs(DEFAULTS.keys) do
    if s.keys[k] == nil then s.keys[k] = v end
  end
  if type(s.utcOffsetH) ~= "number" or s.utcOffsetH < -12 or s.utcOffsetH > 14 then error("utcOffsetH: must be a number in -12..14") end
  if type(s.idealCycleS) ~= "number" or s.idealCycleS <= 0 then error("idealCycleS: must be a positive number of seconds") end
  if type(s.shifts) ~= "table" or #s.shifts == 0 then error("shifts: at least one shift {name, from, to, breaks}") end
  local names = {}
  for i, sh in ipairs(s.shifts) do
    local where = "shifts[" .. i .. "]"
    if type(sh.name) ~= "string" or sh.name == "" then error(where .. ".name: must be a non-empty string") end
    if names[sh.name] then error(where .. ".name: duplicate shift name " .. sh.name) end
    names[sh.name] = true
    local a, b = hhmm(sh.from, where .. ".from"), hhmm(sh.to, where .. ".to")
    if b <= a then b = b + DAY end  -- a night shift ends the next day
    for j, br in ipairs(sh.breaks or {}) do
      local bw = where .. ".breaks[" .. j .. "]"
      local x, y = hhmm(br.from, bw .. ".from"), hhmm(br.to, bw .. ".to")
      if x < a then x, y = x + DAY, y + DAY end
      if y <= x then y = y + DAY end
      if x < a or y > b then error(bw .. ": the break must lie within the shift") end
    end
  end
  return s
end

local function settings()
  return normalise(kaiwu.store.get("settings"))
end

local function local_day(ts, off) return math.floor((ts + off) / DAY) end

local function day_label(day)
  return os.date("!%Y-%m-%d", day * 86400)
end

local function iso_weekday(day)  -- 1970-01-01 (day 0) was a Thursday
  return (day + 3) % 7 + 1
end

-- Shift instances overlapping [from, to): {name, day, start, stop, windows = {{s, e}, …}} where
-- windows are the planned production periods (the shift minus its breaks), in UTC ms.
local function shift_instances(s, from, to)
  local off = math.floor(s.utcOffsetH * 3600000)
  local workday = {}
  for _, d in ipairs(s.workdays) do workday[d] = true end
  local out = {}
  for day = local_day(from, off) - 1, local_day(to, off) do
    if workday[iso_weekday(day)] then
      local base = day * DAY - off
      for _, sh in ipairs(s.shifts) do
        local a, b = hhmm(sh.from, "from"), hhmm(sh.to, "to")
        if b <= a then b = b + DAY end
        local start, stop = base + a, base + b
        if start < to and stop > from then
          local cuts = {}
          for _, br in ipairs(sh.breaks or {}) do
            local x, y = hhmm(br.from, "from"), hhmm(br.to, "to")
            if x < a then x, y = x + DAY, y + DAY end
            if y <= x then y = y + DAY end
            cuts[#cuts + 1] = {base + x, base + y}
          end
          table.sort(cuts, function(p, q) return p[1] < q[1] end)
          local windows, cursor = {}, start
          for _, c in ipairs(cuts) do
            if c[1] > cursor then windows[#windows + 1] = {cursor, c[1]} end
            if c[2] > cursor then cursor = c[2] end
          end
          if stop > cursor then windows[#windows + 1] = {cursor, stop} end
          out[#out + 1] = {name = sh.name, day = day_label(day), start = start, stop = stop, windows = windows}
        end
      end
    end
  end
  table.sort(out, function(p, q) return p.start < q.start end)
  return out
end

-- Planned windows of the instances clipped to [from, to).
local function planned_windows(instances, from, to)
  local out = {}
  for _, inst in ipairs(instances) do
    for _, w in ipairs(inst.windows) do
      local a, b = math.max(w[1], from), math.min(w[2], to)
      if b > a then out[#out + 1] = {a, b} end
    end
  end
  table.sort(out, function(p, q) return p[1] < q[1] end)
  return out
end

-- ---------------------------------------------------------------- telemetry

local function series(id, key, from, to)
  local out, cursor = {}, from
  for _ = 1, MAX_PAGES do
    local page = kaiwu.telemetry.range(id, {key}, cursor, to, 10000)[key] or {}
    for _, p in ipairs(page) do out[#out + 1] = p end
    if #page < 10000 then return out end
    cursor = page[#page].ts + 1
  end
  error("more than " .. MAX_PAGES * 10000 .. " samples of " .. key .. " in the range: choose a shorter one or use the shift records")
end

-- The last value of each key before `from` (within a day), or nil.
local function prior(id, keys, from)
  local out = {}
  local agg = kaiwu.telemetry.aggregate(id, keys, from - DAY, from, DAY, "last")
  for _, k in ipairs(keys) do
    local buckets = agg[k]
    if buckets and #buckets > 0 then out[k] = buckets[#buckets].value end
  end
  return out
end

local function inside(windows, ts)
  for _, w in ipairs(windows) do
    if ts >= w[1] and ts < w[2] then return true end
  end
  return false
end

-- Overlap of [a, b) with the windows, in ms.
local function overlap(windows, a, b)
  local ms = 0
  for _, w in ipairs(windows) do
    local x, y = math.max(a, w[1]), math.min(b, w[2])
    if y > x then ms = ms + (y - x) end
  end
  return ms
end

-- Increments of a counter at sample times inside the windows. A value below the previous one
-- is a reset (the counter restarted from 0).
local function counted(samples, start, windows)
  local n, prev = 0, start
  for _, p in ipairs(samples) do
    local v = tonumber(p.value)
    if v then
      if prev ~= nil and inside(windows, p.ts) then
        local d = v - prev
        if d < 0 then d = v end
        n = n + d
      end
      prev = v
    end
  end
  return n
end

-- A machine's figures over [from, to): planned, run and down time (ms), downtime by reason,
-- total and rejected parts. Planned time before the machine's first state (none within a day
-- before `from`: not monitored yet) is left out of the planned time and reported as noDataMs.
local function machine_stats(s, id, from, to, windows)
  local k = s.keys
  local out = {plannedMs = 0, runMs = 0, noDataMs = 0, downtimeMs = {}, total = 0, rejects = 0}
  for _, w in ipairs(windows) do out.plannedMs = out.plannedMs + (w[2] - w[1]) end
  if to <= from then return out end
  local before = prior(id, {k.state, k.reason, k.parts, k.rejects}, from)
  local states, reasons = series(id, k.state, from, to), series(id, k.reason, from, to)
  -- Walk the merged change points of state and reason; each value holds until the next sample.
  local state, reason = before[k.state], before[k.reason]
  local i, j, t = 1, 1, from
  while true do
    local ts_s = states[i] and states[i].ts or math.huge
    local ts_r = reasons[j] and reasons[j].ts or math.huge
    local next_t = math.min(ts_s, ts_r, to)
    if next_t > t then
      local ms = overlap(windows, t, next_t)
      if ms > 0 then
        if state == nil then
          out.noDataMs = out.noDataMs + ms
        elseif tonumber(state) == k.running then
          out.runMs = out.runMs + ms
        else
          local code = tostring(math.tointeger(tonumber(reason)) or reason or 0)
          if code == "0" then code = "unreported" end
          out.downtimeMs[code] = (out.downtimeMs[code] or 0) + ms
        end
      end
      t = next_t
    end
    if t >= to then break end
    if ts_s == t then state = states[i].value; i = i + 1 end
    if ts_r == t then reason = reasons[j].value; j = j + 1 end
  end
  out.plannedMs = out.plannedMs - out.noDataMs
  out.total = counted(series(id, k.parts, from, to), before[k.parts], windows)
  out.rejects = counted(series(id, k.rejects, from, to), before[k.rejects], windows)
  return out
end

-- ---------------------------------------------------------------- figures

local function add_into(acc, m, ideal_s)
  acc.plannedMs = (acc.plannedMs or 0) + m.plannedMs
  acc.runMs = (acc.runMs or 0) + m.runMs
  acc.noDataMs = (acc.noDataMs or 0) + (m.noDataMs or 0)
  acc.total = (acc.total or 0) + m.total
  acc.rejects = (acc.rejects or 0) + m.rejects
  acc.idealMs = (acc.idealMs or 0) + (m.idealMs or ideal_s * 1000 * m.total)
  acc.downtimeMs = acc.downtimeMs or {}
  for code, ms in pairs(m.downtimeMs) do acc.downtimeMs[code] = (acc.downtimeMs[code] or 0) + ms end
  return acc
end

-- A = run / planned; P = ideal cycle × total / run; Q = good / total; OEE = A × P × Q. Sums
-- over machines give the line, workshop and enterprise figures (time-weighted).
local function metrics(acc)
  local a = acc.plannedMs > 0 and acc.runMs / acc.plannedMs or nil
  local p = acc.runMs > 0 and acc.idealMs / acc.runMs or nil
  local q = acc.total > 0 and (acc.total - acc.rejects) / acc.total or nil
  local down = 0
  for _, ms in pairs(acc.downtimeMs) do down = down + ms end
  return {availability = a, performance = p, quality = q, oee = (a and p and q) and a * p * q or nil,
          plannedMin = acc.plannedMs / MIN, runMin = acc.runMs / MIN, downtimeMin = down / MIN,
          noDataMin = acc.noDataMs / MIN,
          total = acc.total, rejects = acc.rejects, good = acc.total - acc.rejects, idealMin = acc.idealMs / MIN}
end

local function pareto(downtime_ms, s)
  local rows, sum = {}, 0
  for code, ms in pairs(downtime_ms) do
    if ms > 0 then
      local label = (s.reasons and s.reasons[code]) or REASONS[code] or {zh = "原因 " .. code, en = "Reason " .. code}
      rows[#rows + 1] = {code = code, zh = label.zh, en = label.en, short = label.short or label.en, minutes = ms / MIN}
      sum = sum + ms
    end
  end
  table.sort(rows, function(x, y)
    if x.minutes ~= y.minutes then return x.minutes > y.minutes end
    return x.code < y.code
  end)
  local cum = 0
  for _, r in ipairs(rows) do
    cum = cum + r.minutes
    r.share = r.minutes * MIN / sum
    r.cumulative = cum * MIN / sum
  end
  return rows
end

-- The enterprise's machines with their place and ideal cycle time.
local function machines(s)
  local out = {}
  for _, d in ipairs(kaiwu.devices.list()) do
    local latest = kaiwu.telemetry.latest(d.id, {s.keys.parts})
    if latest[s.keys.parts] then
      local server = kaiwu.attributes.get(d.id).server or {}
      local per = s.machines and s.machines[d.id] or {}
      out[#out + 1] = {id = d.id, name = d.name, workshop = tostring(server.workshop or "-"),
                       line = tostring(server.line or "-"),
                       idealCycleS = tonumber(server.ideal_cycle_s) or tonumber(per.idealCycleS) or s.idealCycleS}
    end
  end
  table.sort(out, function(x, y) return x.name < y.name end)
  return out
end

-- Per machine figures → the report: machines, lines, workshops, enterprise and the Pareto.
local function report(s, list, stats_of)
  local lines, shops, total = {}, {}, {}
  local out = {machines = {}, lines = {}, workshops = {}}
  for _, m in ipairs(list) do
    local st = stats_of(m)
    if st then
      local acc = add_into({}, st, m.idealCycleS)
      local row = metrics(acc)
      row.id, row.name, row.workshop, row.line, row.idealCycleS = m.id, m.name, m.workshop, m.line, m.idealCycleS
      row.pareto = pareto(acc.downtimeMs, s)
      out.machines[#out.machines + 1] = row
      lines[m.line] = lines[m.line] or {workshop = m.workshop}
      add_into(lines[m.line], acc, 0)
      shops[m.workshop] = add_into(shops[m.workshop] or {}, acc, 0)
      add_into(total, acc, 0)
    end
  end
  for name, acc in pairs(lines) do
    local row = metrics(acc)
    row.name, row.workshop = name, acc.workshop
    out.lines[#out.lines + 1] = row
  end
  for name, acc in pairs(shops) do
    local row = metrics(acc)
    row.name = name
    out.workshops[#out.workshops + 1] = row
  end
  table.sort(out.lines, function(x, y) return x.name < y.name end)
  table.sort(out.workshops, function(x, y) return x.name < y.name end)
  if total.plannedMs then
    out.enterprise = metrics(total)
    out.pareto = pareto(total.downtimeMs, s)
  else
    out.pareto = {}
  end
  return out
end

local function number_arg(v, what)
  local n = tonumber(v)
  if not n then error(what .. ": must be a time in ms since the epoch") end
  return math.floor(n)
end

-- ---------------------------------------------------------------- shift records (store)

local function record_key(inst) return "shift/" .. inst.day .. "/" .. string.format("%013d", inst.start) .. "/" .. inst.name end

-- Adds (mode "add") or sets (mode "set") machines' figures over [from, to) in the records of
-- the shift instances it overlaps.
local function roll(s, list, from, to, mode)
  local written = 0
  for _, inst in ipairs(shift_instances(s, from, to)) do
    local a, b = math.max(from, inst.start), math.min(to, inst.stop)
    if b > a then
      local key = record_key(inst)
      local rec = kaiwu.store.get(key) or {day = inst.day, shift = inst.name, start = inst.start, stop = inst.stop, machines = {}}
      local windows = planned_windows({inst}, a, b)
      for _, m in ipairs(list) do
        local st = machine_stats(s, m.id, a, b, windows)
        st.idealMs = m.idealCycleS * 1000 * st.total
        local old = rec.machines[m.id]
        if mode == "add" and old then st = add_into(old, st, 0) end
        st.name, st.workshop, st.line, st.idealCycleS = m.name, m.workshop, m.line, m.idealCycleS
        rec.machines[m.id] = st
      end
      rec.updated = b
      kaiwu.store.put(key, rec)
      written = written + 1
    end
  end
  return written
end

local function record_report(s, rec)
  local list = {}
  for id, st in pairs(rec.machines or {}) do
    list[#list + 1] = {id = id, name = st.name, workshop = st.workshop, line = st.line, idealCycleS = st.idealCycleS, st = st}
  end
  table.sort(list, function(x, y) return x.name < y.name end)
  local r = report(s, list, function(m) return m.st end)
  r.day, r.shift, r.from, r.to, r.updated = rec.day, rec.shift, rec.start, rec.stop, rec.updated
  return r
end

-- ---------------------------------------------------------------- functions

-- OEE over [from, to) computed from the raw telemetry (default: the current shift so far).
function oee(input, ctx)
  input = input or {}
  local s = settings()
  local now = kaiwu.now()
  local from, to
  if input.from or input.to then
    from, to = number_arg(input.from, "from"), number_arg(input.to or now, "to")
    if to <= from then error("to must be after from") end
    if to - from > 31 * DAY then error("the range may span at most 31 days") end
  else
    local cur = shift_instances(s, now - 1, now)
    if #cur == 0 then return {from = now, to = now, machines = {}, lines = {}, workshops = {}, pareto = {}} end
    from, to = cur[#cur].start, now
  end
  local windows = planned_windows(shift_instances(s, from, to), from, to)
  local list = machines(s)
  local r = report(s, list, function(m) return machine_stats(s, m.id, from, to, windows) end)
  r.from, r.to = from, to
  return r
end

-- Schedule trigger: adds the newest telemetry of every machine to the records of its shifts.
function tick(input, ctx)
  local s = settings()
  local now = kaiwu.now() - LAG_MS
  local cursors = kaiwu.store.get("cursors") or {}
  local list, done = machines(s), 0
  for _, m in ipairs(list) do
    local from = cursors[m.id]
    if not from then  -- first run: from the start of the current shift
      local cur = shift_instances(s, now - 1, now)
      from = #cur > 0 and cur[#cur].start or now
    end
    local to = math.min(now, from + CATCH_UP_MS)
    if to > from then
      roll(s, {m}, from, to, "add")
      cursors[m.id] = to
      done = done + 1
    end
  end
  kaiwu.store.put("cursors", cursors)
  return {machines = done}
end

-- Recomputes the shift records over [from, to) from the raw telemetry (back-fill, corrections).
function rollup(input, ctx)
  input = input or {}
  local from, to = number_arg(input.from, "from"), number_arg(input.to, "to")
  if to <= from or to - from > 7 * DAY then error("to must be after from, at most 7 days") end
  local s = settings()
  return {records = roll(s, machines(s), from, to, "set")}
end

-- Shift records, newest first: {days = 7 (default, at most 62) | day = "YYYY-MM-DD"}.
function shifts(input, ctx)
  input = input or {}
  local s = settings()
  local days = {}
  if input.day then
    days[1] = tostring(input.day)
  else
    local off = math.floor(s.utcOffsetH * 3600000)
    local today = local_day(kaiwu.now(), off)
    for d = today, today - math.min(tonumber(input.days) or 7, 62) + 1, -1 do days[#days + 1] = day_label(d) end
  end
  local out = {}
  for _, day in ipairs(days) do
    local rows = kaiwu.store.list("shift/" .. day .. "/", 100)
    for i = #rows, 1, -1 do out[#out + 1] = record_report(s, rows[i].value) end
  end
  return {items = out}
end

function get_settings(input, ctx)
  return {settings = settings(), reasons = REASONS}
end

function put_settings(input, ctx)
  local s = normalise(input and input.settings or input)
  kaiwu.store.put("settings", s)
  return {settings = s}
end
