-- Helpers of the platform case files (docs/conformance-platform.md,
-- "Writing a case").  A case file does `local P = require "platform"`.
--
--   P.terminal{}          a played terminal: a connection, a fresh VIN, its
--                         serials and collect-time cursor, and every frame
--                         it sent, so answers can be matched to requests
--   t:make(kind, opts)    a frame record {cmd, what, bytes, time, ...} built
--                         with wire.* (kind: login, logout, report, reissue,
--                         timecal, heartbeat), not sent yet
--   t:send(pieces, opt)   one write of frame records and raw strings
--                         (garbage, corrupted frames); opt as conn:send_raw
--   t:login() t:report{} t:timecal() t:logout()   make and send
--   t:await(rec, ms)      the answer to rec; every other frame that arrives
--                         meanwhile is judged for 5/p-answer-command
--   t:probe()             "is this link still served?": a time calibration
--                         (GB/T 32960: 0x08) answered, asked twice at most
--   t:drain(ms)           read (and judge) whatever arrives for ms
--   P.broken(rec, how)    a corrupted copy (corrupt()), kept as a record
--   P.stored(t, rec, wait_ms)  the oracle: how many times rec was stored;
--                         P.check_stored / P.check_not_stored over lists
--   P.accepted(t, sent, good, bad)  the verdict of an "accepted" case
--   P.open(label)         P.terminal, or the current case fails
--   P.session(label, {reports = true})  P.open, then a login; the case
--                         fails (or, for reports the build cannot sign,
--                         is skipped) and nil comes back when it cannot
--   P.canary(beside)      a well-behaved terminal probed while another
--                         connection misbehaves: 10/p-keeps-serving
--
-- Why answers are judged here: GB 17691 defines no answer but the 0x05 one,
-- so every answer a platform does send must be one a terminal can pair with
-- its request (§5): same command, same VIN, and for echoes the request's
-- time.  Each frame received anywhere is one check of 5/p-answer-command.
local P = {}

P.profile = ctx.profile
P.ev = ctx.profile == "gb32960"   -- GB/T 32960: flags, 0x08 time, no emission reports
P.hj = ctx.profile == "hj1239"
P.TIMECAL = P.ev and 0x08 or 0x05
P.LIMIT = ctx.timecal_limit_ms
P.WAIT = ctx.answer_wait_ms
-- How long a liveness probe waits: not the timecal limit (8/p-timecal-answer
-- judges promptness), only "does an answer come at all".
P.PROBE_WAIT = math.max(3000, 2 * ctx.timecal_limit_ms)
-- How long the platform may take to store a frame (the reference endpoint
-- flushes its log once a second).
P.ORACLE_WAIT = 3000
-- Frames a canary session sends before it starts a new one: below the
-- counts a misbehaving platform might key on (every 10th frame ...), so the
-- canary judges service, not session length (6/p-keeps-connection does).
P.CANARY_FRAMES = 7
-- Emission reports can be built: not GB/T 32960, and HJ needs SM2 signing.
P.can_report = not P.ev and (not P.hj or ctx.can_sign)

local NAMES_TP = { [1] = "login", [2] = "real-time report", [3] = "reissue report", [4] = "logout",
                   [5] = "time calibration", [6] = "removal alarm", [7] = "activation", [8] = "activation answer" }
local NAMES_EV = { [1] = "login", [2] = "real-time report", [3] = "reissue report", [4] = "logout",
                   [5] = "platform login", [6] = "platform logout", [7] = "heartbeat", [8] = "time calibration" }

function P.x(n)
  return n and string.format("0x%02X", n) or "?"
end

function P.cmd_name(c)
  return (P.ev and NAMES_EV or NAMES_TP)[c] or "command " .. P.x(c)
end

-- "2026-05-20 10:30:00" of a Unix second (GMT+8, as the frames carry it)
function P.t(s)
  return s and time_text(s) or "?"
end

function P.ms(a, b)
  return string.format("%d ms", (b or now()) - a)
end

-- XOR of bytes i..j of s (1-based, inclusive)
function P.xor(s, i, j)
  local x = 0
  for k = i, j do
    x = x ~ s:byte(k)
  end
  return x
end

-- --- a played terminal ---

local T = {}
T.__index = T

-- P.terminal{label = "...", connect = {...}} -> t | nil, why
function P.terminal(o)
  o = o or {}
  local c, why = connect(o.connect)
  if not c then
    return nil, "cannot connect to " .. ctx.target .. ": " .. tostring(why)
  end
  local t = setmetatable({
    vin = o.vin or wire.vin(),
    conn = c,
    label = o.label or "terminal",
    login_serial = o.login_serial or 0,
    report_serial = 0,
    -- collect times: consecutive seconds ending before now (real-time), and
    -- an hour back (reissue), so every packet time is distinct
    rt_next = unix() - 120,
    re_next = unix() - 3600,
    sent = {},      -- frame records, in order
    pending = {},   -- time calibrations not answered yet
    frames = 0,     -- valid frames sent on this connection
    answers = 0,
  }, T)
  return t
end

-- A frame record, not sent.
function T:make(kind, o)
  o = o or {}
  local r = { kind = kind }
  if kind == "login" then
    self.login_serial = self.login_serial + 1
    r.serial, r.time = self.login_serial, o.time or unix()
    r.bytes = wire.login { vin = self.vin, serial = r.serial, time = r.time }
    r.cmd = 0x01
  elseif kind == "logout" then
    r.serial, r.time = self.login_serial, o.time or unix()
    r.bytes = wire.logout { vin = self.vin, serial = r.serial, time = r.time }
    r.cmd = 0x04
  elseif kind == "report" or kind == "reissue" then
    local n = o.samples or 10
    local re = kind == "reissue"
    local first = re and self.re_next or self.rt_next
    if re then self.re_next = first + n else self.rt_next = first + n end
    self.report_serial = self.report_serial + 1
    r.serial, r.first, r.samples = self.report_serial, first, n
    r.bytes = wire.report { vin = self.vin, samples = n, first = first, serial = r.serial, reissue = re,
                            obd = o.obd }
    r.cmd = re and 0x03 or 0x02
    -- the packet time: GB 17691 the first sample's (§7.1), HJ the send time,
    -- which wire.report makes the last sample's second (§7.2)
    r.time = P.hj and first + n - 1 or first
  elseif kind == "timecal" then
    r.bytes = wire.timecal { vin = self.vin }
    r.cmd = P.TIMECAL
  elseif kind == "heartbeat" then
    r.bytes = wire.heartbeat { vin = self.vin }
    r.cmd = 0x07
  else
    error("make: unknown kind " .. tostring(kind))
  end
  local d = wire.decode(r.bytes)
  r.tbytes = (d.data or ""):sub(1, 6)   -- what an echo carries back (§5)
  r.len = #r.bytes
  r.what = P.cmd_name(r.cmd)
  return r
end

-- "0x02 real-time report (serial 3, 10 samples from 2026-.., 431 bytes)"
function P.describe(r)
  local s = P.x(r.cmd) .. " " .. r.what
  local parts = {}
  if r.serial then parts[#parts + 1] = "serial " .. r.serial end
  if r.samples then parts[#parts + 1] = string.format("%d sample%s from %s", r.samples,
                                                      r.samples == 1 and "" or "s", P.t(r.first)) end
  parts[#parts + 1] = (r.len or #r.bytes) .. " bytes"
  return s .. " (" .. table.concat(parts, ", ") .. ")"
end

-- A corrupted copy of a record: kept as a record (bad = true) so an answer
-- to it is recognised as "answered a broken frame".
function P.broken(r, how)
  local b = {}
  for k, v in pairs(r) do b[k] = v end
  b.bytes = corrupt(r.bytes, how)
  b.bad = how
  return b
end

-- One write of pieces (records and raw strings); opt: {split, delay_ms, wait}.
function T:send(pieces, opt)
  if type(pieces) == "string" or pieces.bytes then pieces = { pieces } end
  local buf = {}
  for i, p in ipairs(pieces) do
    buf[i] = type(p) == "string" and p or p.bytes
  end
  local bytes = table.concat(buf)
  local ok, why
  if opt then
    ok, why = self.conn:send_raw(bytes, opt)
  else
    ok, why = self.conn:send(bytes)
  end
  if not ok then
    return nil, why
  end
  local t0 = now()
  for _, p in ipairs(pieces) do
    if type(p) == "table" then
      p.sent_ms = t0
      self.sent[#self.sent + 1] = p
      if not p.bad then
        self.frames = self.frames + 1
        p.index = self.frames
        if p.cmd == P.TIMECAL and p.kind == "timecal" then
          self.pending[#self.pending + 1] = p
        end
      end
    end
  end
  return true
end

local function make_send(kind)
  return function(self, o)
    local r = self:make(kind, o)
    local ok, why = self:send(r)
    if not ok then return nil, why end
    return r
  end
end
T.login = make_send("login")
T.logout = make_send("logout")
T.report = make_send("report")
T.reissue = make_send("reissue")
T.timecal = make_send("timecal")
T.heartbeat = make_send("heartbeat")

local function remove(list, x)
  for i, v in ipairs(list) do
    if v == x then
      table.remove(list, i)
      return true
    end
  end
  return false
end

local function sent_text(t)
  local seen, out = {}, {}
  for _, r in ipairs(t.sent) do
    if not seen[r.cmd] then
      seen[r.cmd] = true
      out[#out + 1] = P.x(r.cmd)
    end
  end
  return #out > 0 and table.concat(out, " ") or "nothing"
end

-- The request an answer f belongs to, or nil and why it belongs to none.
function T:match(f)
  if f.stream then
    return nil, "bytes that are no frame (" .. tostring(f.error) .. ")"
  end
  if f.vin ~= self.vin then
    return nil, string.format("VIN '%s', not the request's %s", tostring(f.vin), self.vin)
  end
  if P.ev and f.resp == 0xFE then
    return nil, "a request (flag 0xFE), not an answer"
  end
  if f.cmd == P.TIMECAL and #self.pending > 0 then
    return table.remove(self.pending, 1)   -- answers come in order on one link
  end
  -- an echo: the same command and the request's time (§5).  Answers come
  -- in order, so the oldest request not answered yet; a broken frame only
  -- when no good one is left (several frames can share a second, and a
  -- broken frame answered is what the framing cases look for).
  local head = (f.data or ""):sub(1, 6)
  for pass = 1, 2 do
    for _, r in ipairs(self.sent) do
      if r.cmd == f.cmd and r.cmd ~= P.TIMECAL and not r.answered and (not r.bad) == (pass == 1)
          and #r.tbytes == 6 and head == r.tbytes then
        return r
      end
    end
  end
  -- HJ activation answer 0x08 to 0x07 (§9.3); GB/T 32960 heartbeat 0x07
  for _, r in ipairs(self.sent) do
    if not r.answered and ((not P.ev and r.cmd == 0x07 and f.cmd == 0x08) or (P.ev and r.cmd == 0x07 and f.cmd == 0x07)) then
      return r
    end
  end
  return nil, "matches no request sent on this connection (sent: " .. sent_text(self) .. ")"
end

-- Judges one received frame for 5/p-answer-command; returns the request
-- it answers (or nil, why).
function T:judge(f)
  self.answers = self.answers + 1
  local r, why = self:match(f)
  if r then
    r.answered = f
    verdict("5/p-answer-command", "pass", string.format("every answer carried its request's command and VIN "
      .. "(the first: %s to the %s %s of %s)", P.x(f.cmd), P.x(r.cmd), r.what, self.vin))
  else
    verdict("5/p-answer-command", "fail", string.format("%s sent %s (%d bytes) to the %s of %s: %s",
      ctx.target, f.stream and "bytes" or P.x(f.cmd), f.len or 0, self.label, self.vin, why), f)
  end
  return r, why
end

-- Waits for the answer to rec (a time calibration, an activation ...), at
-- most ms.  -> frame, latency_ms, note | nil, why.  Under a platform that
-- answers with a wrong command, the first unmatched frame with the VIN that
-- arrives after a time calibration stands for its answer (the platform did
-- react; 5/p-answer-command has already failed it).
function T:await(rec, ms)
  local until_ms = mono() + ms
  while true do
    local left = until_ms - mono()
    if left <= 0 then
      return nil, string.format("no answer to the %s within %d ms", rec.what, ms)
    end
    local f, why = self.conn:recv(left)
    if not f then
      if why == "timeout" then
        return nil, string.format("no answer to the %s within %d ms", rec.what, ms)
      end
      return nil, string.format("the platform %s the connection before answering the %s",
                                why == "reset" and "reset" or "closed", rec.what)
    end
    local r = self:judge(f)
    if r == rec then
      return f, (f.received_ms or now()) - rec.sent_ms
    end
    if not r and not f.stream and f.vin == self.vin and rec.kind == "timecal" and not rec.answered
        and remove(self.pending, rec) then
      rec.answered = f
      return f, (f.received_ms or now()) - rec.sent_ms, "with command " .. P.x(f.cmd)
    end
  end
end

-- Reads (and judges) what arrives for ms; returns the frames.
function T:drain(ms)
  local got = {}
  local until_ms = mono() + ms
  while mono() < until_ms do
    local f = self.conn:recv(until_ms - mono())
    if not f then break end
    self:judge(f)
    got[#got + 1] = f
  end
  return got
end

-- Is the link still served?  A time calibration, answered; asked a second
-- time when the first goes unanswered on a link that stays open (a lost
-- frame is 7/p-stored's business, not this probe's).
-- -> ok, text ("a time calibration sent after it was answered in 2 ms")
function T:probe()
  if self.conn:closed(0) then
    return false, "the platform had closed the connection (" .. self.conn:state() .. ")"
  end
  local note = ""
  for attempt = 1, 2 do
    local rec, why = self:timecal()
    if not rec then
      return false, "the time calibration could not be sent: " .. tostring(why)
    end
    -- the second ask waits less: a platform that never answers should not
    -- cost every case twice the full wait
    local f, ms, how = self:await(rec, attempt == 1 and P.PROBE_WAIT or math.max(1000, P.LIMIT))
    if f then
      return true, string.format("a %s sent after it was answered in %d ms%s%s", rec.what, ms,
                                 how and " (" .. how .. ")" or "", note)
    end
    why = ms   -- await failed: its reason
    if self.conn:closed(0) then
      return false, why
    end
    if attempt == 1 then
      note = " (the first request went unanswered)"
    else
      return false, string.format("two time calibrations sent after it went unanswered (waited %d ms, then %d "
                                  .. "ms; the connection is %s)", P.PROBE_WAIT, math.max(1000, P.LIMIT),
                                  self.conn:state())
    end
  end
end

function T:closed(ms)
  return self.conn:closed(ms)
end

function T:state()
  return self.conn:state()
end

function T:close()
  self.conn:close()
end

-- --- the oracle ---

-- How many times the platform stored rec -> count, answer | nil, why.
function P.stored(t, rec, wait_ms)
  local q = {
    query = "stored",
    profile = ctx.profile,
    vin = t.vin,
    cmd = rec.cmd,
    command = rec.what,
    time = rec.time and P.t(rec.time) or nil,
    unix = rec.time,
    serial = rec.serial,
    samples = rec.samples,
    first_sample = rec.first and P.t(rec.first) or nil,
    hex = hex(rec.bytes),
    sent_ms = rec.sent_ms,
    wait_ms = wait_ms or P.ORACLE_WAIT,
    case = ctx.file,
  }
  local a, why = oracle(q)
  if not a then
    return nil, "the oracle did not answer: " .. tostring(why)
  end
  if a.error then
    return nil, "the oracle answered an error: " .. tostring(a.error)
  end
  if a.count == nil and a.stored == nil then
    return nil, "the oracle's answer has neither 'stored' nor 'count'"
  end
  local n = math.tointeger(a.count) or (a.stored and 1 or 0)
  return n, a
end

-- Checks that each record of recs was stored once (once = false: at least
-- once).  -> ok, text | nil, why (no oracle, or it failed).
function P.check_stored(t, recs, once)
  if not ctx.has_oracle then
    return nil, "no --oracle"
  end
  local missing, twice = {}, {}
  for _, r in ipairs(recs) do
    local n, a = P.stored(t, r)
    if not n then
      return nil, a
    end
    if n == 0 then
      missing[#missing + 1] = P.describe(r)
    elseif once ~= false and n > 1 then
      twice[#twice + 1] = P.describe(r) .. " " .. n .. " times"
    end
  end
  if #missing > 0 or #twice > 0 then
    local s = {}
    if #missing > 0 then
      s[#s + 1] = string.format("%d of %d not stored (oracle): %s", #missing, #recs, missing[1])
    end
    if #twice > 0 then
      s[#s + 1] = string.format("%d stored more than once: %s", #twice, twice[1])
    end
    return false, table.concat(s, "; ")
  end
  return true, string.format("the oracle shows %s stored%s", #recs == 1 and "it" or #recs == 2 and "both" or
                             "all " .. #recs, once ~= false and " once" or "")
end

-- Checks that none of recs was stored.  -> ok, text | nil, why.
function P.check_not_stored(t, recs)
  if not ctx.has_oracle then
    return nil, "no --oracle"
  end
  for _, r in ipairs(recs) do
    -- asked after a later frame of the same link was found stored: no wait
    local n, a = P.stored(t, r, 0)
    if not n then
      return nil, a
    end
    if n > 0 then
      return false, string.format("the oracle shows the broken frame stored %d time%s (%s)", n,
                                  n == 1 and "" or "s", P.describe(r))
    end
  end
  return true, #recs == 1 and "not the broken one" or "not the broken ones"
end

-- --- the canary: 10/p-keeps-serving ---

local C = {}
C.__index = C

-- beside: what misbehaves meanwhile ("the slow sender")
function P.canary(beside)
  return setmetatable({ beside = beside, probes = 0, late = 0, missed = {}, worst = 0, sessions = 0,
                        reports = {}, errors = {} }, C)
end

function C:session()
  local t = self.t
  if t and t.frames < P.CANARY_FRAMES - 1 and t:state() == "open" then
    return t
  end
  if t then
    if t:state() == "open" then t:logout() end
    t:close()
    self.t = nil
  end
  local why
  t, why = P.terminal { label = "canary" }
  if not t then
    self.errors[#self.errors + 1] = why
    return nil
  end
  self.sessions = self.sessions + 1
  local ok
  ok, why = t:login()
  if not ok then
    self.errors[#self.errors + 1] = "login: " .. tostring(why)
  end
  self.t = t
  return t
end

-- One exchange: a report (where the profile has them) and a time
-- calibration, which must be answered within --timecal-limit.
function C:step()
  local t = self:session()
  self.probes = self.probes + 1
  if not t then
    self.missed[#self.missed + 1] = "no connection"
    return
  end
  if P.can_report then
    local r = t:report { samples = 1 }
    if r then self.reports[#self.reports + 1] = { t = t, r = r } end
  end
  local rec, why = t:timecal()
  if not rec then
    self.missed[#self.missed + 1] = why
    return
  end
  -- once it missed one, the case has failed: later probes wait only the limit
  local f, ms = t:await(rec, #self.missed == 0 and P.PROBE_WAIT or P.LIMIT)
  if not f then
    self.missed[#self.missed + 1] = ms
    return
  end
  latency(ms)
  if ms > self.worst then self.worst = ms end
  if ms > P.LIMIT then self.late = self.late + 1 end
end

function C:finish()
  if self.t then
    self.t:close()
    self.t = nil
  end
  local beside = self.beside
  if #self.missed > 0 or self.late > 0 or self.probes == 0 then
    local why = #self.missed > 0 and self.missed[1] or self.errors[1] or
                string.format("%d answered later than %d ms (worst %d ms)", self.late, P.LIMIT, self.worst)
    verdict("10/p-keeps-serving", "fail", string.format("a good terminal beside %s: %d of %d time calibrations "
      .. "not answered in time; first: %s", beside, #self.missed + self.late, self.probes, tostring(why)))
    return
  end
  local stored = ""
  if ctx.has_oracle and #self.reports > 0 then
    for _, x in ipairs(self.reports) do
      local n, a = P.stored(x.t, x.r)
      if not n then
        stored = " (its reports not checked: " .. a .. ")"
        break
      end
      if n == 0 then
        verdict("10/p-keeps-serving", "fail", string.format("a good terminal beside %s: its %s was not stored "
          .. "(oracle), though its time calibrations were answered", beside, P.describe(x.r)))
        return
      end
    end
    if stored == "" then
      stored = string.format(", its %d reports stored (oracle)", #self.reports)
    end
  elseif #self.reports > 0 then
    stored = string.format(", %d reports sent (storage not checked: no --oracle)", #self.reports)
  end
  verdict("10/p-keeps-serving", "pass", string.format("a good terminal beside %s: %d time calibrations answered "
    .. "within %d ms (worst %d ms) over %d session%s%s", beside, self.probes, P.LIMIT, self.worst, self.sessions,
    self.sessions == 1 and "" or "s", stored))
end

-- --- the verdict of an "accepted" case ---

-- GB 17691 platforms answer nothing, so "accepted" is what can be seen:
-- the link stays open, a time calibration sent after the frames under test
-- is answered (so the platform's parser got past them), no broken frame
-- was answered as if valid, and, with an oracle, the good frames were
-- stored once and the broken ones not at all.
--   sent: what the case sent, in words; good, bad: records (may be nil)
-- Records the verdict of the current case; returns true when it passed.
function P.accepted(t, sent, good, bad)
  local ok, how = t:probe()
  if not ok then
    fail(sent .. ": " .. how)
    return false
  end
  for _, b in ipairs(bad or {}) do
    if b.answered then
      fail(string.format("%s: the platform answered the frame with the %s (%s) as if it were valid", sent,
                         b.bad, P.x(b.answered.cmd)), b.answered)
      return false
    end
  end
  local store = ""
  if good and #good > 0 then
    local sok, text = P.check_stored(t, good, true)
    if sok == false then
      fail(sent .. ": the link was served, but " .. text)
      return false
    end
    store = sok and "; " .. text or "; storage not checked (" .. text .. ")"
    if sok and bad and #bad > 0 then
      local nok, ntext = P.check_not_stored(t, bad)
      if nok == false then
        fail(sent .. ": " .. ntext)
        return false
      end
      if nok then store = store .. ", " .. ntext end
    end
  end
  pass(sent .. ": the connection stayed open and " .. how .. store)
  return true
end

-- The terminal of a case, or the case fails (returns nil).
function P.open(label)
  local t, why = P.terminal { label = label }
  if not t then
    fail(why)
  end
  return t
end

P.NO_SIGNING = "SM2 signing is not available to this build: HJ 1239 reports are signed (§9.1)"

-- A logged-in terminal of a case, or nil when the case has already been
-- given its verdict: skipped (o.reports and no reports can be built here)
-- or failed (no connection, or the login could not be sent).
function P.session(label, o)
  if o and o.reports and not P.can_report then
    skip(P.NO_SIGNING)
    return nil
  end
  local t = P.open(label)
  if not t then return nil end
  local ok, why = t:login()
  if not ok then
    fail("the login could not be sent: " .. tostring(why))
    t:close()
    return nil
  end
  return t
end

return P
