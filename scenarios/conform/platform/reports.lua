-- Real-time reports (§7): after a login, three 0x02 packets — ten samples,
-- ten samples with an OBD item first, one sample — then a time calibration.
-- Taken when the connection stays open and the time calibration is
-- answered (GB 17691 answers no report); with an oracle, each stored once.
local P = require "platform"

local function run()
  case "7/p-reports"
  local t = P.session("reporting terminal", { reports = true })
  if not t then return end
  local recs = {}
  for _, o in ipairs { { samples = 10 }, { samples = 10, obd = true }, { samples = 1 } } do
    local r
    r, why = t:report(o)
    if not r then
      fail(string.format("report %d of 3 could not be sent (%s): the connection is %s", #recs + 1, tostring(why),
                         t:state()))
      return
    end
    recs[#recs + 1] = r
    sleep(50)
  end
  P.accepted(t, string.format("sent a login and 3 real-time reports (0x02, %d, %d and %d bytes; 21 samples, "
    .. "one with OBD)", recs[1].len, recs[2].len, recs[3].len), recs)
  if t:state() == "open" then t:logout() end
  t:close()
end

return { cases = { "7/p-reports" }, timeout_ms = 15000, run = run }
