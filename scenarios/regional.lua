-- Regional delivery: LNG trucks with a three-way catalyst and a downstream
-- NOx sensor (stream 0x05), VECTO regional cycle around Chengdu.
local R = require("lib.remsim")
return {
  name = "regional",
  vehicle = "gas_nox",
  cycle = csv(R.VECTO, "regional_delivery_40t_kmh"),
  mass = { 25000, 40000 },
  start = { lat = 30.5728, lon = 104.0668, spread_km = 60 },
  altitude = 500,
  ambient = 15,
  profile = { profile = "hj1239" },
}
