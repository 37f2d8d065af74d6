-- Connection kept (§6, §10): a platform must not close a link that carries
-- only valid frames.  A login, 19 one-sample real-time packets 100 ms apart
-- (about 2 s), a time calibration, then a look whether the platform closes
-- it within --answer-wait.  Fails with the frame after which it closed.
local P = require "platform"

local REPORTS = 19

local function run()
  case "6/p-keeps-connection"
  local t = P.session("long-session terminal", { reports = true })
  if not t then return end
  local t0 = t.sent[1].sent_ms   -- the login's
  local ok, why
  local function closed_after(what)
    fail(string.format("the platform %s the connection after %d valid frames (%s), %.1f s after the login",
                       t:state() == "reset by the platform" and "reset" or "closed", t.frames, what,
                       (now() - t0) / 1000))
  end
  for i = 1, REPORTS do
    sleep(100)
    t:drain(0)
    if t:closed(0) then
      closed_after(i == 1 and "the login" or string.format("the login and %d reports", i - 1))
      return
    end
    local r = t:make("report", { samples = 1 })
    ok, why = t:send(r)
    if not ok then
      closed_after(string.format("the login and %d reports", i - 1))
      return
    end
  end
  local served, how = t:probe()
  if not served then
    if t:state() ~= "open" then
      closed_after(string.format("the login, %d reports and a time calibration", REPORTS))
    else
      fail(string.format("sent a login and %d reports over %.1f s: the link stayed open but %s", REPORTS,
                         (now() - t0) / 1000, how))
    end
    return
  end
  if t:closed(P.WAIT) then
    closed_after(string.format("the login, %d reports and the time calibration, which it answered", REPORTS))
    return
  end
  pass(string.format("%d valid frames over %.1f s (a login, %d reports, a time calibration): the connection "
    .. "stayed open and %s", t.frames, (now() - t0) / 1000, REPORTS, how))
  t:logout()
  t:close()
end

return { cases = { "6/p-keeps-connection" }, timeout_ms = 20000, run = run }
