-- Urban delivery: a 40 t diesel (DPF + SCR) on the VECTO urban cycle,
-- cold start in Shanghai, 30-40 t loads.
local R = require("lib.remsim")
return {
  name = "urban",
  vehicle = "diesel",
  cycle = csv(R.VECTO, "urban_delivery_40t_kmh"),
  at_end = "loop",
  mass = { 30000, 40000 },
  start = { lat = 31.2304, lon = 121.4737, spread_km = 25 },
  ambient = 18,
  init = { fuel_level = { 55, 95 }, reagent = { 40, 90 }, soot = { 0.1, 0.6 } },
  profile = { profile = "gb17691", obd_period = 10 },
}
