-- Activation (§9.2, §9.3): an HJ 1239 terminal registers its security chip
-- with the MEE national platform, which answers 0x08 with a status/info
-- pair.  Only the national platform answers (--national); an enterprise
-- platform is not asked.  Sent on one connection:
--   1. a valid signed activation of a fresh VIN -> 01 00 (or 02 01, "already")
--   2. the same again                            -> 01 00 or 02 01
--   3. another VIN, no signature block           -> 02 03 (or 02 02), never 01 00
--   4. another VIN, body VIN != header VIN       -> 02 02 (or 02 03), never 01 00
-- Each answer must come within max(--answer-wait, 5 s), be a 0x08 with the
-- request's VIN, a 2-byte data unit and one of the four defined pairs.
local P = require "platform"

local DEFINED = { ["01 00"] = "succeeded", ["02 01"] = "already activated", ["02 02"] = "VIN error",
                  ["02 03"] = "other failure" }

local function run()
  case "9.3/p-activation-answer"
  if not ctx.national then
    na("the target is an enterprise platform: activation (0x07) goes to the MEE national platform (§9.2); "
      .. "give --national when the target is that service")
    return
  end
  if not ctx.can_sign then
    skip("SM2 signing is not available to this build: an activation is signed (§9.2)")
    return
  end
  local t = P.open("activating terminal")
  if not t then return end
  local wait = math.max(P.WAIT, 5000)
  local other1, other2 = wire.vin(), wire.vin()
  local steps = {
    { what = "a signed activation of " .. t.vin, vin = t.vin, b = wire.activation { vin = t.vin },
      ok = { ["01 00"] = true, ["02 01"] = true } },
    { what = "the same activation again", vin = t.vin, b = nil, ok = { ["01 00"] = true, ["02 01"] = true } },
    { what = "an activation of " .. other1 .. " without its signature", vin = other1,
      b = wire.activation { vin = other1, unsigned = true }, ok = { ["02 03"] = true, ["02 02"] = true } },
    { what = "an activation of " .. other2 .. " whose body names another VIN", vin = other2,
      b = wire.activation { vin = other2, body_vin = wire.vin() }, ok = { ["02 02"] = true, ["02 03"] = true } },
  }
  steps[2].b = steps[1].b
  local got = {}
  for i, s in ipairs(steps) do
    -- one played terminal per VIN, all on this connection
    t.vin = s.vin
    local rec = { cmd = 0x07, what = "activation", bytes = s.b, tbytes = s.b:sub(25, 30), len = #s.b,
                  kind = "activation" }
    local ok, why = t:send(rec)
    if not ok then
      fail(string.format("%s could not be sent: %s (%s)", s.what, tostring(why), t:state()))
      return
    end
    local f, ms = t:await(rec, wait)
    if not f then
      fail(string.format("sent %s (0x07, %d bytes): %s", s.what, rec.len, ms), s.b)
      return
    end
    local pair = f.data and #f.data == 2 and string.format("%02X %02X", f.data:byte(1), f.data:byte(2)) or nil
    if f.cmd ~= 0x08 or not pair then
      fail(string.format("sent %s: the answer is %s with a %d-byte data unit, not 0x08 with status and info "
        .. "(§9.3)", s.what, P.x(f.cmd), f.data and #f.data or -1), f)
      return
    end
    if not DEFINED[pair] then
      fail(string.format("sent %s: answered %s, not a pair §9.3 defines", s.what, pair), f)
      return
    end
    if not s.ok[pair] then
      fail(string.format("sent %s: answered %s (%s)", s.what, pair, DEFINED[pair]), f)
      return
    end
    latency(ms)
    got[i] = string.format("%s in %d ms", pair, ms)
  end
  pass(string.format("valid activation %s, again %s, unsigned %s, body VIN mismatch %s", got[1], got[2], got[3],
                     got[4]))
  t:close()
end

return { cases = { "9.3/p-activation-answer" }, timeout_ms = 30000, run = run }
