-- A gas (TWC, stream 0x03) fleet with a bad mobile network: 45 s outages
-- every 5 minutes (each vehicle shifted by up to 30 s), 20 % of the
-- terminals with a skewed clock, a slow endpoint, one power loss.
local R = require("lib.remsim")
return {
  name = "flaky_network",
  vehicle = "gas",
  cycle = csv(R.VECTO, "regional_delivery_40t_kmh"),
  mass = { 20000, 35000 },
  start = { lat = 39.9042, lon = 116.4074, spread_km = 40 },
  ambient = 5,
  events = R.join(
    R.every(60, 300, 12, { network_down = 45, jitter = 30 }),
    {
      { at = 30, clock_skew = 90, share = 0.2 },
      { at = 200, answer_delay = 3000, duration = 120 },
      { at = 900, power_loss = 20, share = 0.5, jitter = 60 },
    }
  ),
  profile = { profile = "hj1239" },
}
