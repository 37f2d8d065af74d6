-- Framing (§3.1, §3.5): broken frames are dropped and the link recovers;
-- frames split over many TCP segments or packed into one are all taken.
-- Each case has its own connection and VIN.  "Taken" is what can be seen
-- without answers (lib/platform.lua, P.accepted): the link stays open, a
-- time calibration sent after the frames under test is answered, and with
-- an oracle the good frames are stored once and the broken ones never.
local P = require "platform"

-- A frame with content: a one-sample report, or a login where the profile
-- has no emission reports (GB/T 32960) or cannot sign them (HJ 1239).
local function data(t)
  return P.can_report and t:make("report", { samples = 1 }) or t:make("login")
end

local function bad_bcc()
  case "3.1/p-bad-bcc"
  local t = P.session("bad-BCC terminal")
  if not t then return end
  local b1 = P.broken(data(t), "bcc")
  local ok, why = t:send(b1)
  if ok then
    sleep(50)
    -- a second one, with a good frame right behind it in the same segment:
    -- the parser must find the good frame inside the bytes it already has
    local b2, g = P.broken(data(t), "bcc"), data(t)
    ok, why = t:send { b2, g }
    if ok then
      P.accepted(t, string.format("sent a login, a %s with a wrong BCC, then another with a wrong BCC and a good "
        .. "one in one segment", b1.what), { g }, { b1, b2 })
    end
  end
  if not ok then
    fail("sending after a frame with a wrong BCC failed: " .. tostring(why) .. " (" .. t:state() .. ")")
  end
  t:close()
end

-- A copy of r whose length field says one byte less, unless the shortened
-- frame's BCC would match by chance (1 in 256): then nil.
local function shortened(r)
  local b = P.broken(r, "length_short")
  local n = #b.bytes
  -- the platform reads a data unit one byte shorter: BCC over bytes 3 ..
  -- n-2 (1-based), compared with byte n-1
  if P.xor(b.bytes, 3, n - 2) == b.bytes:byte(n - 1) then
    return nil
  end
  b.bad = "length field one byte short"
  return b
end

local function bad_length()
  case "3.1/p-bad-length"
  local t = P.session("bad-length terminal")
  if not t then return end
  -- one byte more than the frame holds: the platform waits for a byte that
  -- is the next frame's first; a checking parser rejects and resynchronises
  local long = P.broken(data(t), "length")
  long.bad = "length field one byte long"
  local ok, why = t:send(long)
  local g1, short, g2
  if ok then
    sleep(50)
    g1 = data(t)
    ok, why = t:send(g1)
  end
  if ok then
    sleep(50)
    for _ = 1, 4 do
      short = shortened(data(t))
      if short then break end
    end
    short = short or P.broken(data(t), "length_short")   -- four chance matches in a row: 2^-32
    ok, why = t:send(short)
  end
  if ok then
    sleep(50)
    g2 = data(t)
    ok, why = t:send(g2)
  end
  if not ok then
    fail("sending after a frame with a wrong length field failed: " .. tostring(why) .. " (" .. t:state() .. ")")
  else
    P.accepted(t, string.format("sent a login, a %s with its length field 1 byte long, a good one, one 1 byte "
      .. "short, a good one", long.what), { g1, g2 }, { long, short })
  end
  t:close()
end

local function split()
  case "3.5/p-split-frames"
  local t = P.open("split-frames terminal")
  if not t then return end
  local l, g, tc = t:make("login"), data(t), t:make("timecal")
  local ok, why = t:send(l, { split = 1, delay_ms = 2 })
  if ok then ok, why = t:send(g, { split = 7, delay_ms = 2 }) end
  if ok then ok, why = t:send(tc, { split = 1, delay_ms = 2 }) end
  if not ok then
    fail("sending split frames failed: " .. tostring(why) .. " (" .. t:state() .. ")")
    t:close()
    return
  end
  local f, ms = t:await(tc, P.PROBE_WAIT)
  local sent = string.format("sent a login in %d one-byte segments, a %s in 7-byte segments and a time "
    .. "calibration in %d one-byte segments", l.len, g.what, tc.len)
  if not f then
    fail(sent .. ": " .. ms)
  else
    P.accepted(t, string.format("%s (answered in %d ms)", sent, ms), { l, g })
  end
  t:close()
end

local function coalesced()
  case "3.5/p-coalesced-frames"
  local t = P.open("coalesced-frames terminal")
  if not t then return end
  local l, r1, r2, c1, r3, c2 = t:make("login"), data(t), data(t), t:make("timecal"), data(t), t:make("timecal")
  local all = { l, r1, r2, c1, r3, c2 }
  local bytes = 0
  for _, r in ipairs(all) do bytes = bytes + r.len end
  local ok, why = t:send(all)
  if not ok then
    fail("sending six frames in one segment failed: " .. tostring(why))
    t:close()
    return
  end
  local sent = string.format("sent a login, 3 %ss and 2 time calibrations in one segment (%d bytes)", r1.what,
                             bytes)
  local f1, m1 = t:await(c1, P.PROBE_WAIT)
  local f2, m2
  if f1 then f2, m2 = t:await(c2, P.PROBE_WAIT) end
  if not f1 then
    fail(sent .. ": the first time calibration (4th frame): " .. m1)
  elseif not f2 then
    fail(sent .. ": the first time calibration was answered, the second (last frame): " .. m2)
  else
    P.accepted(t, sent .. ": both time calibrations answered", { r1, r2, r3 })
  end
  t:close()
end

local function run()
  bad_bcc()
  bad_length()
  split()
  coalesced()
end

return {
  cases = { "3.1/p-bad-bcc", "3.1/p-bad-length", "3.5/p-split-frames", "3.5/p-coalesced-frames" },
  timeout_ms = 30000,
  run = run,
}
