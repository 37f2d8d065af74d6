-- Reconnect storm (§10): after a network outage every terminal reconnects
-- at once, and some connections die half-way.  --storm connections,
-- --concurrency open at a time, from --concurrency terminals: a third log
-- in and close, a third send half a login and close, a third close without
-- sending.  Afterwards a new terminal must be able to log in, report and
-- get its time calibration answered.  A canary terminal is probed between
-- the waves (10/p-keeps-serving).
local P = require "platform"

local function run()
  case "10/p-reconnect-storm"
  local canary = P.canary("a reconnect storm")
  canary:step()
  local n, k = ctx.storm, ctx.concurrency
  local vins, serial = {}, {}
  for i = 1, k do
    vins[i] = wire.vin()
    serial[i] = 0
  end
  local t0 = mono()
  local opened, refused, first_refusal, done = 0, 0, nil, 0
  local waves = 0
  while done < n do
    local open = {}
    for i = 1, math.min(k, n - done) do
      done = done + 1
      local c, why = connect { timeout_ms = 2000 }
      if not c then
        refused = refused + 1
        first_refusal = first_refusal or why
      else
        opened = opened + 1
        local mode = done % 3
        if mode ~= 2 then
          serial[i] = serial[i] + 1
          local l = wire.login { vin = vins[i], serial = serial[i] }
          c:send(mode == 0 and l or l:sub(1, 20))   -- a whole login, or the first 20 bytes of one
        end
        open[#open + 1] = c
      end
    end
    sleep(5)
    for _, c in ipairs(open) do c:close() end
    waves = waves + 1
    if waves % math.max(1, (n // k) // 4) == 0 then canary:step() end
  end
  local storm_ms = mono() - t0
  local storm = string.format("%d connections, %d at a time, in %d ms (logins, half logins, nothing; all closed)",
                              n, k, storm_ms)
  if refused > 0 then
    storm = storm .. string.format(", %d refused (first: %s)", refused, tostring(first_refusal))
  end
  -- afterwards: a new terminal is served
  local t = P.open("terminal after the storm")
  if t then
    local l, why = t:login()
    local r
    if l and P.can_report then
      r, why = t:report { samples = 10 }
    end
    if not l or (P.can_report and not r) then
      fail(storm .. "; afterwards a new terminal could not send: " .. tostring(why))
    else
      P.accepted(t, storm .. "; then a new terminal sent a login" .. (r and " and a report" or ""),
                 r and { l, r } or { l })
    end
    t:close()
  else
    -- P.open failed the case with the connect error; say what preceded it
    fail(storm .. "; afterwards no new connection could be opened")
  end
  canary:step()
  canary:finish()
end

return { cases = { "10/p-reconnect-storm", "10/p-keeps-serving" }, timeout_ms = 30000, run = run }
