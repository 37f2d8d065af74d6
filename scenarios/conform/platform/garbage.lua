-- Garbage (§3.5): bytes that belong to no frame (no start-byte pair in
-- them, so the case tests resynchronisation, not the luck of a false
-- header) before, between and after valid frames, some in the same
-- segment as a frame.  The frames after it must be taken.  Meanwhile a
-- canary terminal on its own connection must keep being served
-- (10/p-keeps-serving).
local P = require "platform"

local function run()
  local canary = P.canary("a connection sending garbage")
  canary:step()
  case "3.5/p-garbage"
  local t = P.open("garbage terminal")
  if t then
    local l = t:make("login")
    local g = P.can_report and t:make("report", { samples = 10 }) or t:make("login")
    local ok, why = t:send(garbage(300, 1))
    if ok then ok, why = t:send { l, garbage(57, 2) } end
    canary:step()
    if ok then ok, why = t:send { garbage(1000, 3), g, garbage(3, 4) } end
    canary:step()
    if not ok then
      fail(string.format("sending after 300 bytes of garbage failed: %s (%s)", tostring(why), t:state()))
    else
      P.accepted(t, string.format("sent 300 garbage bytes, a login with 57 after it in one segment, then 1000 "
        .. "garbage bytes, a %s and 3 more in one segment", g.what), { l, g })
    end
    t:close()
  end
  canary:step()
  canary:finish()
end

return { cases = { "3.5/p-garbage", "10/p-keeps-serving" }, timeout_ms = 20000, run = run }
