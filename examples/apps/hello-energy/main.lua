-- Hello Energy: an example Kaiwu APP. Every function gets (input, ctx); ctx has appId, version,
-- tenantId, enterpriseId, trigger and function. `kaiwu` is the host API (apps/README.md).

function summary(input, ctx)
  local key = input.key or "power"
  local total, devices = 0, {}
  for _, d in ipairs(kaiwu.devices.list()) do
    local latest = kaiwu.telemetry.latest(d.id, {key})
    local v = latest[key]
    if v and type(v.value) == "number" then
      total = total + v.value
      devices[#devices + 1] = {id = d.id, name = d.name, value = v.value}
    end
  end
  kaiwu.log("summed", #devices, "devices for", ctx.enterpriseId)
  return {key = key, total = total, devices = devices, enterpriseId = ctx.enterpriseId}
end

function on_power(input, ctx)
  local p = input.values.power
  if type(p) ~= "number" then return nil end
  kaiwu.telemetry.write(input.deviceId, {power_x2 = p * 2}, input.ts)
  kaiwu.log("derived power_x2 for", input.deviceName)
  return {written = true}
end

function tick(input, ctx)
  kaiwu.log("tick at", input.ts)
  return {ok = true}
end

function raise_flag(input, ctx)
  local d = kaiwu.devices.list()[1]
  kaiwu.alarms.raise(d and d.id or "none", "HighPower", "major")
  return {raised = true}
end
