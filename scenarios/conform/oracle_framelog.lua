-- The frame-log oracle as a Lua hook (the same answers as
-- oracle_framelog.py, without python3; docs/conformance-platform.md,
-- "The oracle"):
--
--   REMSIM_FRAMELOG=frames.log remsim conform platform --target ... \
--       --oracle scenarios/conform/oracle_framelog.lua
--
-- The suite loads this file once and calls the function it returns with
-- each query (a table made from the JSON query); the table returned is the
-- answer.  A frame counts as stored when an accepted-frame line of the log
-- (not a '#' comment) holds a frame with the query's VIN, command,
-- data-unit time and, when given, serial.
local LOG = os.getenv("REMSIM_FRAMELOG")

local function bytes_of(h)
  return (h:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end))
end

-- cmd, time text, serial of a frame (see frame_key in oracle_framelog.py)
local function key(f, profile)
  local cmd = f:byte(3)
  local data = f:sub(25, #f - 1)
  if #data < 6 then return cmd end
  local t = string.format("20%02d-%02d-%02d %02d:%02d:%02d", data:byte(1, 6))
  local function word(at) return #data >= at + 1 and data:byte(at) * 256 + data:byte(at + 1) or nil end
  local serial
  if profile == "gb32960" then
    if cmd == 1 or cmd == 4 or cmd == 5 or cmd == 6 then serial = word(7) end
  elseif cmd == 1 or cmd == 4 or cmd == 6 then
    serial = word(7)
  elseif cmd == 2 or cmd == 3 then
    serial = profile == "hj1239" and word(7) or word(8)
  end
  return cmd, t, serial
end

local function look(q)
  local fh, err = io.open(LOG, "r")
  if not fh then return nil, err end
  local count, identical, first = 0, 0, nil
  local want_hex = q.hex and q.hex:upper()
  for line in fh:lines() do
    if line:sub(1, 1) ~= "#" then
      local when, _, vin, h = line:match("^(%S+)%s+(%S+)%s+(%S+)%s+(%x+)")
      if vin == q.vin and #h >= 50 then
        local cmd, t, serial = key(bytes_of(h), q.profile)
        if cmd == q.cmd and (q.time == nil or t == q.time) and (q.serial == nil or serial == q.serial) then
          count = count + 1
          if want_hex and h:upper() == want_hex then identical = identical + 1 end
          first = first or when
        end
      end
    end
  end
  fh:close()
  return count, identical, first
end

return function(q)
  if not LOG or LOG == "" then
    return { error = "set REMSIM_FRAMELOG to the frame log of remsim serve (--log FILE)" }
  end
  if q.query ~= "stored" then
    return { error = "unknown query '" .. tostring(q.query) .. "' (this oracle answers 'stored')" }
  end
  local deadline = os.time() + math.ceil((q.wait_ms or 0) / 1000)
  while true do
    local count, identical, first = look(q)
    if not count then
      return { error = "cannot read the frame log: " .. tostring(identical) }
    end
    if count > 0 or os.time() >= deadline then
      return { stored = count > 0, count = count, identical = identical, first_seen = first }
    end
    os.execute("sleep 0.1")   -- the endpoint writes its log once a second
  end
end
