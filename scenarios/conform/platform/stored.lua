-- Storage (§7, §12): the platform keeps every valid report, once.  Only
-- the platform can say what it stored, so this case needs --oracle
-- (docs/conformance-platform.md, "The oracle"); without one it is skipped.
-- A login, eight real-time and two reissue packets (ten frames after the
-- login, so a platform that loses "every n-th frame" shows it), a time
-- calibration; then every packet is asked for.
local P = require "platform"

local function run()
  case "7/p-stored"
  if not ctx.has_oracle then
    skip("needs --oracle: GB 17691 defines no answer to a report, so only the platform can say what it stored")
    return
  end
  local t = P.session("storage terminal", { reports = true })
  if not t then return end
  local plan = { "report", "report", "report", "report", "reissue", "report", "reissue", "report", "report",
                 "report" }
  local recs = {}
  for i, kind in ipairs(plan) do
    local r = t:make(kind, { samples = kind == "reissue" and 10 or 5 })
    ok, why = t:send(r)
    if not ok then
      fail(string.format("packet %d of %d could not be sent (%s): the connection is %s", i, #plan, tostring(why),
                         t:state()))
      return
    end
    recs[#recs + 1] = r
    sleep(20)
  end
  -- whether the link is still served is other cases' finding; the probe
  -- only makes the platform read everything before the oracle is asked
  t:probe()
  local sok, text = P.check_stored(t, recs, true)
  if sok == nil then
    skip("the oracle could not be asked: " .. text)
  elseif sok then
    pass(string.format("sent a login, 8 real-time and 2 reissue packets (60 samples): %s", text))
  else
    fail(string.format("sent a login, 8 real-time and 2 reissue packets (60 samples): %s", text))
  end
  if t:state() == "open" then t:logout() end
  t:close()
end

return { cases = { "7/p-stored" }, timeout_ms = 60000, run = run }
