-- Small helpers for scenario files: require("lib.remsim").
-- Plain Lua, evaluated once at load; nothing here runs per vehicle.
local M = {}

-- The shared drive-cycle file (shared/traces/drive-cycles, BSD-3-Clause).
M.VECTO = "traces/drive-cycles/vecto_truck_40t_speed_1hz.csv"

-- count copies of the event ev, the first at 'first', then every 'period' s.
function M.every(first, period, count, ev)
  local out = {}
  for k = 0, count - 1 do
    local e = {}
    for key, val in pairs(ev) do e[key] = val end
    e.at = first + k * period
    out[#out + 1] = e
  end
  return out
end

-- Concatenates lists of events: M.join({...}, M.every(...)).
function M.join(...)
  local out = {}
  for _, list in ipairs({ ... }) do
    for _, e in ipairs(list) do out[#out + 1] = e end
  end
  return out
end

-- A stop-and-go cycle as a function of t: accelerate at 'accel' m/s^2 to
-- 'cruise' km/h, hold, brake at 'decel', stand 'stop' s, repeat.
function M.stop_and_go(cruise, hold, stop, accel, decel)
  accel, decel = accel or 0.4, decel or 0.8
  local v = cruise / 3.6
  local ta, td = v / accel, v / decel
  local period = ta + hold + td + stop
  return function(t)
    local x = t % period
    if x < ta then return 3.6 * accel * x end
    if x < ta + hold then return cruise end
    if x < ta + hold + td then return 3.6 * (v - decel * (x - ta - hold)) end
    return 0
  end
end

return M
