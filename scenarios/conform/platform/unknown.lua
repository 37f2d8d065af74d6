-- Unknown command (§4): ids 0x06-0x7F are reserved in GB 17691 (0x09-0x7F
-- in GB/T 32960).  A platform may drop such a frame but must keep the
-- session: a login, a frame with command 0x6E and a 6-byte time as its data
-- unit, a vendor frame 0xC5 (user-defined range), then a good frame and a
-- time calibration, which must be answered; with an oracle the good frame
-- must be stored.
local P = require "platform"

local function run()
  case "4/p-unknown-command"
  local t = P.session("unknown-command terminal")
  if not t then return end
  -- the login's time is a well-formed 6-byte time for the odd frames' data
  local stamp = t.sent[1].tbytes
  local odd = {}
  for _, cmd in ipairs { 0x6E, 0xC5 } do
    local b = wire.frame { vin = t.vin, cmd = cmd, data = stamp .. "\1\2\3\4" }
    -- kept as records, so an answer to them is matched (an echo is legal)
    odd[#odd + 1] = { cmd = cmd, what = "command " .. P.x(cmd), bytes = b, tbytes = stamp, len = #b, kind = "odd" }
  end
  ok, why = t:send(odd[1])
  if ok then
    sleep(50)
    ok, why = t:send(odd[2])
  end
  local g = P.can_report and t:make("report", { samples = 1 }) or t:make("login")
  if ok then
    sleep(50)
    ok, why = t:send(g)
  end
  if not ok then
    fail(string.format("sending after a frame with command 0x6E failed: %s (%s)", tostring(why), t:state()))
  else
    P.accepted(t, string.format("sent a login, a frame with the reserved command 0x6E and one with the vendor "
      .. "command 0xC5 (%d bytes each), then a %s", odd[1].len, g.what), { g })
  end
  t:close()
end

return { cases = { "4/p-unknown-command" }, timeout_ms = 15000, run = run }
