-- Long haul: 40-49 t diesel on the VECTO long-haul cycle with rolling
-- hills (grade as a function of time), starting warm on the G4 near Wuhan.
local R = require("lib.remsim")
return {
  name = "longhaul",
  vehicle = "diesel",
  cycle = csv(R.VECTO, "long_haul_40t_kmh"),
  grade = function(t) return 1.5 * math.sin(t / 240) end,
  mass = { 40000, 49000 },
  start = { lat = 30.5928, lon = 114.3055, spread_km = 100, heading = 0 },
  init = { warm = true, fuel_level = { 70, 100 } },
  profile = { profile = "hj1239", obd_period = 60 },
}
