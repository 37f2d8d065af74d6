-- Faults on a diesel hybrid: the SCR outlet NOx sensor fails at 120 s
-- (not available, DTC SPN 3226 FMI 12, MIL on), the SCR inlet temperature
-- sensor sticks at 300 s, a second DTC comes and is cleared.  A hook adds
-- upstream NOx spikes once the MIL is on and counts MIL seconds per vehicle.
local R = require("lib.remsim")
return {
  name = "faulty",
  vehicle = "hybrid",
  cycle = csv(R.VECTO, "urban_delivery_40t_kmh"),
  mass = { 18000, 25000 },
  start = { lat = 22.5431, lon = 114.0579, spread_km = 20 },
  ambient = 26,
  events = {
    { at = 120, sensor = "nox_down", state = "na" },
    { at = 120, dtc = { spn = 3226, fmi = 12 }, mil = true },
    { at = 300, sensor = "scr_in", state = "stuck" },
    { at = 360, dtc = { spn = 4364, fmi = 18 }, mil = false },
    { at = 480, dtc_clear = { spn = 4364 } },
  },
  tick = function(t, s, v)
    if t >= 120 then
      v.mil_s = (v.mil_s or 0) + 1
      if t % 60 == 0 and s.nox_up then s.nox_up = s.nox_up * 1.5 end
    end
  end,
  profile = { profile = "hj1239", obd_period = 10 },
}
