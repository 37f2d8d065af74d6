-- Cold start at -15 degC in Harbin with a nearly full DPF: slow warm-up,
-- poor SCR conversion at first, then an active regeneration (forced at
-- 240 s on every vehicle, or earlier when the soot load reaches 1).
local R = require("lib.remsim")
return {
  name = "coldstart_dpf",
  vehicle = "diesel",
  cycle = csv(R.VECTO, "urban_delivery_40t_kmh"),
  mass = 40000,
  start = { lat = 45.8038, lon = 126.5350, spread_km = 15 },
  ambient = -15,
  altitude = 150,
  init = { warm = false, soot = { 0.95, 0.99 } },
  events = {
    { at = 240, dpf_regen = true, jitter = 60 },
  },
  profile = { profile = "gb17691" },
}
