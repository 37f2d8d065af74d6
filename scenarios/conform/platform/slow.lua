-- Slow sender (§3.5, §10): a terminal on a poor link trickles a frame byte
-- by byte, --slow-ms apart (25 bytes of time calibration: 2.5 s at the
-- default 100 ms).  It must be answered once its last byte is in.  While it
-- trickles, a canary terminal on another connection must keep being served
-- within --timecal-limit (10/p-keeps-serving): a platform that serves one
-- connection at a time fails that.
local P = require "platform"

local function run()
  local canary = P.canary("a slow sender")
  case "3.5/p-slow-sender"
  local t = P.open("slow terminal")
  if t then
    local ok, why = t:login()
    local tc = t:make("timecal")
    if ok then
      ok, why = t:send(tc, { split = 1, delay_ms = ctx.slow_ms, wait = false })
    end
    if not ok then
      fail(string.format("the slow sender could not send: %s (%s)", tostring(why), t:state()))
    else
      local t0 = mono()
      local trickle = tc.len * ctx.slow_ms
      local f, ms
      -- probe the canary while the bytes trickle out, then wait for the answer
      repeat
        canary:step()
        f, ms = t:await(tc, 250)
      until f or t:state() ~= "open" or mono() - t0 > trickle + P.PROBE_WAIT
      local sent = string.format("sent a login, then a time calibration one byte every %d ms (%d bytes over "
        .. "%.1f s)", ctx.slow_ms, tc.len, trickle / 1000)
      if f then
        pass(string.format("%s: answered %d ms after its first byte, the connection open", sent, ms))
      else
        fail(string.format("%s: %s", sent, t:state() ~= "open" and ("the connection was " .. t:state()
          .. " after " .. (mono() - t0) .. " ms") or ("no answer within " .. P.PROBE_WAIT .. " ms of its last byte")))
      end
    end
    t:close()
  end
  canary:step()
  canary:finish()
end

return { cases = { "3.5/p-slow-sender", "10/p-keeps-serving" }, timeout_ms = 30000, run = run }
