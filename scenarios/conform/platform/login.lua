-- Vehicle login (§6.1): a fresh VIN logs in with serial 1.  GB 17691
-- defines no answer and HJ 1239 only an optional echo (§4.2, §5), so the
-- login is "accepted" when the connection stays open and a time
-- calibration sent after it is answered; an echo, when one comes, must be
-- the login's (command 0x01, its VIN and time: judged for 5/p-answer-command).
-- With an oracle the login must be stored.
local P = require "platform"

local function run()
  case "6.1/p-login"
  local t = P.open("logging-in terminal")
  if not t then return end
  local rec, why = t:login()
  if not rec then
    fail("the login could not be sent: " .. tostring(why))
    return
  end
  -- an echo is optional: wait for one a little, judging what comes
  local echo = ""
  for _, f in ipairs(t:drain(P.WAIT)) do
    if rec.answered == f then
      echo = string.format(", echoed (%s, the login's time) in %d ms", P.x(f.cmd),
                           (f.received_ms or now()) - rec.sent_ms)
    end
  end
  if echo == "" and t:state() == "open" then
    echo = string.format(", no answer within %d ms (none is required)", P.WAIT)
  end
  P.accepted(t, string.format("sent a %s for %s%s", P.describe(rec), t.vin, echo), { rec })
  if t:state() == "open" then t:logout() end
  t:close()
end

return { cases = { "6.1/p-login" }, timeout_ms = 15000, run = run }
