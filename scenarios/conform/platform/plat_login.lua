-- Platform login for forwarding (§11.1, §12.3; profile: unverified): an
-- enterprise platform logs in to the receiving platform over a GB/T 32960
-- shaped link (--plat-start ## or ~~) with its unique code, user name and
-- password (--plat-id, --plat-user, --plat-password), and logs out.  Each
-- request (flag 0xFE) must be answered with the same command and id, flag
-- 0x01 (success) and the request's time (§5).  The link is --plat-target,
-- or the target itself under --profile gb32960.
local P = require "platform"

local FLAGS = { [0x01] = "success", [0x02] = "error", [0x03] = "VIN duplicated", [0xFE] = "request" }

local function run()
  case "12.3/p-platform-login"
  local link = ctx.plat_target and "platform" or (P.ev and "target") or nil
  if not link then
    skip("needs --plat-target HOST:PORT (a forwarding-link receiver, §12.3) or --profile gb32960")
    return
  end
  local where = link == "platform" and ctx.plat_target or ctx.target
  local c, why = connect { link = link }
  if not c then
    fail("cannot connect to " .. where .. ": " .. tostring(why))
    return
  end
  local login = wire.plat_login {}
  local d = wire.decode(login, link)
  local id = d.vin
  local wait = math.max(P.WAIT, 3000)
  local function ask(what, bytes, cmd)
    local ok, err = c:send(bytes)
    if not ok then
      return nil, string.format("the %s could not be sent: %s", what, tostring(err))
    end
    local t0 = now()
    while true do
      local f, r = c:recv(math.max(1, wait - (now() - t0)))
      if not f then
        return nil, string.format("%s (%s %s): no answer within %d ms (%s)", what, P.x(cmd), id, wait, r)
      end
      if f.stream then
        return nil, string.format("%s: the receiver sent bytes that are no frame (%s)", what, f.error), f
      end
      if f.cmd == cmd then
        local flag = f.resp
        if f.vin ~= id then
          return nil, string.format("%s: answered for id '%s', not '%s'", what, tostring(f.vin), id), f
        end
        if flag ~= 0x01 then
          return nil, string.format("%s of '%s': answered with flag %s (%s), not 0x01 (check --plat-user and "
                                    .. "--plat-password)", what, id, P.x(flag), FLAGS[flag] or "undefined"), f
        end
        if (f.data or ""):sub(1, 6) ~= (wire.decode(bytes, link).data or ""):sub(1, 6) then
          return nil, string.format("%s: the answer's data is not the request's time (§5)", what), f
        end
        return f, now() - t0
      end
    end
  end
  local f, ms, ev = ask("platform login", login, 0x05)
  if not f then
    fail(ms, ev)
    c:close()
    return
  end
  latency(ms)
  -- logout: time and the login serial (§11.2)
  local logout = wire.frame { link = link, vin = id .. string.rep("\0", 17 - #id), cmd = 0x06,
                              data = d.data:sub(1, 6) .. d.data:sub(7, 8) }
  local f2, ms2, ev2 = ask("platform logout", logout, 0x06)
  if not f2 then
    fail(string.format("the platform login was answered with success in %d ms, but the %s", ms, ms2), ev2)
  else
    pass(string.format("platform login of '%s' (0x05, %d bytes, to %s) answered with success in %d ms, the "
      .. "logout in %d ms (profile: unverified, §12.3)", id, #login, where, ms, ms2))
  end
  c:close()
end

return { cases = { "12.3/p-platform-login" }, timeout_ms = 15000, run = run }
