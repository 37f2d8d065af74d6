-- Time calibration (§8): the one answer GB 17691 defines.  A terminal logs
-- in and asks for the time three times; each 0x05 must be answered within
-- --timecal-limit with a 31-byte frame whose data unit is the current GMT+8
-- time, true to 1 s.  The answers are also the main evidence of
-- 5/p-answer-command (command and VIN of the request).
local P = require "platform"

local ASKS = 3

local function run()
  case "8/p-timecal-answer"
  local t = P.open("time calibration terminal")
  if not t then
    verdict("8/p-timecal-accuracy", "skip", "no connection to ask for the time on")
    return
  end
  local ok, why = t:login()
  if not ok then
    fail("the login before the time calibration could not be sent: " .. tostring(why))
    return
  end
  local slow, wrong, times = {}, {}, {}
  local answered, worst = 0, 0
  for i = 1, ASKS do
    local rec
    rec, why = t:timecal()
    if not rec then
      slow[#slow + 1] = string.format("request %d could not be sent: %s", i, tostring(why))
      break
    end
    -- wait past the limit, so a late answer is reported as late, not missing
    local f, ms = t:await(rec, math.max(P.LIMIT + P.WAIT, 2000))
    if not f then
      slow[#slow + 1] = string.format("request %d: %s", i, ms)
      if t:state() ~= "open" then break end
    else
      answered = answered + 1
      latency(ms)
      if ms > worst then worst = ms end
      if ms > P.LIMIT then
        slow[#slow + 1] = string.format("request %d answered after %d ms (limit %d ms)", i, ms, P.LIMIT)
      end
      if f.cmd ~= P.TIMECAL then
        wrong[#wrong + 1] = { f = f, text = string.format("request %d answered with command %s, not %s", i,
                                                         P.x(f.cmd), P.x(P.TIMECAL)) }
      elseif f.len ~= 31 then
        wrong[#wrong + 1] = { f = f, text = string.format("request %d answered with a %d-byte frame, not 31 "
                                                         .. "(a 6-byte time, §5)", i, f.len) }
      end
      times[#times + 1] = { f = f, sent = rec.sent_ms, i = i }
    end
    if i < ASKS then sleep(100) end
  end
  t:close()

  -- 8/p-timecal-answer: every request answered, in time, as a 0x05 time
  if #slow > 0 then
    fail(string.format("%d of %d time calibration requests (0x05, 25 bytes) to %s not answered within %d ms; "
      .. "first: %s", #slow, ASKS, t.vin, P.LIMIT, slow[1]))
  elseif #wrong > 0 then
    fail(string.format("%d of %d answers were no 0x05 time answer; first: %s", #wrong, ASKS, wrong[1].text),
         wrong[1].f)
  else
    pass(string.format("%d time calibration requests (0x05) answered with a 31-byte 0x05 frame within %d ms "
      .. "(worst %d ms)", ASKS, P.LIMIT, worst))
  end

  -- 8/p-timecal-accuracy: the answered time within 1 s of true time.  The
  -- answer holds whole seconds, stamped between our send and our receive:
  -- it must lie in [floor(sent) - 1, floor(received) + 1].
  case "8/p-timecal-accuracy"
  if #times == 0 then
    skip("no time calibration answer arrived, so no answered time to judge (see 8/p-timecal-answer)")
  else
    local bad, worst_off = nil, 0
    for _, x in ipairs(times) do
      local f = x.f
      local recv = f.received_ms or now()
      if not f.time then
        bad = bad or { f = f, text = string.format("answer %d carries no valid time: data %s", x.i,
                                                  hex(f.data or "")) }
      else
        local lo, hi = x.sent // 1000 - 1, recv // 1000 + 1
        -- the answer holds whole seconds: it stands for the middle of its second
        local off = f.time + 0.5 - (x.sent + recv) / 2000
        if math.abs(off) > math.abs(worst_off) then worst_off = off end
        if f.time < lo or f.time > hi then
          bad = bad or { f = f, text = string.format("answer %d says %s (GMT+8), %+.1f s from true time "
            .. "(asked at %s)", x.i, P.t(f.time), off, P.t(x.sent // 1000)) }
        end
      end
    end
    if bad then
      fail(bad.text .. "; allowed: within 1 s", bad.f)
    else
      pass(string.format("%d answered times within 1 s of true GMT+8 time (largest offset %+.1f s, counting "
        .. "the whole-second resolution)", #times, worst_off))
    end
  end

  case "5/p-answer-command"
  if answered == 0 and t.answers == 0 then
    na("the platform answered none of the requests sent (see 8/p-timecal-answer): no answer to check")
  end
  -- otherwise every answer was judged as it arrived (lib/platform.lua, T:judge)
end

return {
  cases = { "8/p-timecal-answer", "8/p-timecal-accuracy", "5/p-answer-command" },
  timeout_ms = 20000,
  run = run,
}
