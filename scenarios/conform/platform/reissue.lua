-- Reissue (§7, §10): after an outage a terminal sends its buffered samples
-- as 0x03, with their original collect times, while real-time reporting
-- goes on.  Here: a login, a real-time packet, three reissue packets of ten
-- samples collected an hour ago (oldest first), another real-time packet,
-- then a time calibration.  Taken like real-time ones: the link stays
-- served; with an oracle, the reissued packets are stored once.
local P = require "platform"

local function run()
  case "10/p-reissue"
  local t = P.session("reissuing terminal", { reports = true })
  if not t then return end
  local plan = { "report", "reissue", "reissue", "reissue", "report" }
  local re, all = {}, {}
  for i, kind in ipairs(plan) do
    local r = t:make(kind, { samples = 10 })
    ok, why = t:send(r)
    if not ok then
      fail(string.format("packet %d of %d (%s) could not be sent (%s): the connection is %s", i, #plan, r.what,
                         tostring(why), t:state()))
      return
    end
    all[#all + 1] = r
    if kind == "reissue" then re[#re + 1] = r end
    sleep(50)
  end
  P.accepted(t, string.format("sent a login, a real-time packet, 3 reissue packets (0x03, 30 samples collected "
    .. "from %s) and a real-time packet", P.t(re[1].first)), re)
  if t:state() == "open" then t:logout() end
  t:close()
end

return { cases = { "10/p-reissue" }, timeout_ms = 15000, run = run }
