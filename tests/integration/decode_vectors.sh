#!/usr/bin/env bash
# remsim decode against the shared test vectors (shared/spec/vectors).
#
# Checks decoded values against vectors/README.md, the error records of the
# negative vectors, hex logs with columns and comments, --raw on a byte
# stream with garbage between frames, stdin, --pretty, and the exit codes.
# Exit 0 pass, 77 skip (reason on the last line), anything else fail.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
remsim=${REMSIM:-$root/build/remsim}
shared=${REMSIM_SHARED:-$root/../shared}
vectors=$shared/spec/vectors

if ! command -v python3 >/dev/null 2>&1; then
  echo "skipped: python3 not found"; exit 77
fi
if [ ! -x "$remsim" ]; then
  echo "skipped: remsim binary not found at $remsim (set REMSIM or build it)"; exit 77
fi
if [ ! -f "$vectors/realtime-gb17691-02.hex" ]; then
  echo "skipped: shared vectors not found at $vectors (set REMSIM_SHARED or put shared/ beside the project)"
  exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Binary frames for --raw.  xxd comes with vim-common; python3 otherwise.
unhex() {
  if command -v xxd >/dev/null 2>&1; then
    tr -d ' \r\n' <"$1" | xxd -r -p
  else
    python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(open(sys.argv[1]).read().strip()))' "$1"
  fi
}
{
  printf 'GARBAGE!'                                  # 8 bytes before the first frame
  unhex "$vectors/login-gb17691-02.hex"
  unhex "$vectors/realtime-gb17691-02.hex"           # back to back with the login
  printf '\x00\x01\x02'                              # 3 bytes between frames
  unhex "$vectors/logout-gb17691-02.hex"
} >"$tmp/garbage.bin"
{
  unhex "$vectors/login-gb17691-02.hex"
  unhex "$vectors/realtime-gb17691-02.hex"
  unhex "$vectors/logout-gb17691-02.hex"
} >"$tmp/clean.bin"
unhex "$vectors/login-gb17691-02.hex" | head -c 30 >"$tmp/cut.bin"

exec python3 - "$remsim" "$vectors" "$tmp" <<'PY'
import json, os, subprocess, sys

remsim, vectors, tmp = sys.argv[1:4]
failures = []

def check(cond, what):
    if not cond:
        failures.append(what)
    return cond

def run(*args, stdin=None):
    p = subprocess.run([remsim, "decode", *args], input=stdin, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")

def records(text, what):
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        try:
            out.append(json.loads(line))
        except ValueError as e:
            failures.append(f"{what}: line {n} is not JSON ({e}): {line[:80]}")
    return out

def decode(name, *args, rc=0):
    code, out, err = run(*args, os.path.join(vectors, name + ".hex"))
    check(code == rc, f"{name} {' '.join(args)}: exit {code}, expected {rc}; stderr: {err.strip()}")
    recs = records(out, name)
    check(len(recs) == 1, f"{name}: {len(recs)} records, expected 1")
    return recs[0] if recs else {}

def field(item, name):
    return item["fields"][name]

sections = []
def section(fn):
    sections.append(fn)
    return fn

def profile_of(name):
    if "hj1239" in name: return "hj1239"
    if "gb32960" in name: return "gb32960"
    return "gb17691"

# -- every vector, with its profile: only the two negative ones fail ------
@section
def every_vector_with_its_profile():
    negative = {"bad-bcc-gb17691-01", "realtime-variant-tiza-01"}
    for f in sorted(os.listdir(vectors)):
        if not f.endswith(".hex"):
            continue
        name = f[:-4]
        r = decode(name, "--profile", profile_of(name), rc=1 if name in negative else 0)
        if name not in negative:
            check(r.get("ok") is True, f"{name}: ok is not true")
            check(r.get("frame_len", 0) * 2 == len(r.get("hex", "")), f"{name}: frame_len and hex disagree")
            check(r.get("source", {}).get("line") == 1, f"{name}: source.line is not 1")

# -- realtime-gb17691-02: OBD + two streams ------------------------------
@section
def realtime_gb17691_02():
    r = decode("realtime-gb17691-02")
    h, b = r["header"], r["body"]
    check(h["command"] == 2 and h["command_name"] == "realtime", "rt02 command")
    check(h["vin"] == "LTESTGB10A0000001" and h["sw_version"] == 1 and h["data_len"] == 193, "rt02 header")
    check(h["encryption_name"] == "none" and h["start_text"] == "##" and h["bcc"] == 0x3D, "rt02 header 2")
    check(r["kind"] == "report" and b["layout"] == "gb" and b["time"] == "2024-05-20 10:30:00", "rt02 body")
    check(b["time_valid"] is True and b["n_items"] == 3, "rt02 items")
    check([i["serial"] for i in b["items"]] == [5, 5, 5], "rt02 serials all 5")
    obd = b["items"][0]["obd"]
    check(obd["protocol"] == 2 and obd["mil"] == 0 and obd["support"] == 0xFEA0, "rt02 obd protocol/mil/support")
    check(obd["readiness"] == 0x0400 and obd["readiness_bits"] == [10], "rt02 obd readiness")
    check(obd["vin"] == "LTESTGB10A0000001" and obd["calid"] == "ECU123456780000000", "rt02 obd vin/calid")
    check(obd["cvn"] == "1A2B3C4D0000000000", "rt02 obd cvn")
    check(obd["iupr"]["counters"] == [100, 250, 0, 0, 40, 50, 0, 0, 35, 45, 30, 40, 20, 30, 25, 35, 0, 0], "rt02 iupr")
    check(obd["dtc_count"] == 2 and [d["hex"] for d in obd["dtcs"]] == ["9A0C0201", "0C111203"], "rt02 dtcs")
    check(obd["dtcs"][0]["j1939"] == {"spn": 0x0C9A, "fmi": 2, "cm": 0, "oc": 1}, "rt02 dtc 0 J1939 reading")
    s1, s2 = b["items"][1], b["items"][2]
    check(field(s1, "speed") == {"value": 65.5, "unit": "km/h", "state": "valid", "raw": 0x4180}, "rt02 s1 speed")
    for k, v in {"baro": 100, "torque": 50, "friction": 10, "rpm": 1400, "fuel_rate": 25.5, "nox_up": 520,
                 "nox_down": 35.5, "reagent": 60.4, "air_flow": 850.25, "scr_in": 320.5, "scr_out": 298,
                 "dpf_dp": 3.2, "coolant": 85, "fuel_level": 75.2, "lon": 116.397128, "lat": 39.916527,
                 "odometer": 12345.6}.items():
        check(field(s1, k)["value"] == v and field(s1, k)["state"] == "valid", f"rt02 s1 {k} = {field(s1, k)}")
    check(field(s2, "speed")["state"] == "invalid" and field(s2, "speed")["value"] is None, "rt02 s2 speed invalid")
    check(field(s2, "speed")["raw"] == 0xFFFF, "rt02 s2 speed raw")
    check(field(s2, "nox_up")["state"] == "abnormal" and field(s2, "nox_up")["value"] is None, "rt02 s2 nox_up")
    check(field(s2, "scr_in")["state"] == "out_of_range" and field(s2, "scr_in")["raw"] == 0xFEFF, "rt02 s2 scr_in")
    check(field(s2, "pos_status")["raw"] == 1 and field(s2, "pos_status")["flags"] == ["position_invalid"], "rt02 s2 pos")
    check(field(s2, "odometer")["value"] == 12345.7, "rt02 s2 odometer")
    check(b["signature"] is None, "rt02 has no signature")
    check(sorted(w["field"] for w in r["warnings"]) == ["nox_up", "scr_in"], f"rt02 warnings {r['warnings']}")
    check(all(w["severity"] == "warning" and w["code"] == "range" for w in r["warnings"]), "rt02 warning codes")

    # --strict turns the range warnings into an error
    r = decode("realtime-gb17691-02", "--strict", rc=1)
    check(r.get("ok") is False and r["error"]["code"] == "range", "rt02 --strict: range error")

# -- the negative vector ------------------------------------------------------
@section
def the_negative_vector():
    r = decode("bad-bcc-gb17691-01", rc=1)
    check(r["ok"] is False and r["error"]["code"] == "bcc" and r["error"]["field"] == "bcc", "bad-bcc error code")
    check(r["error"]["offset"] == 217 and "0xC2" in r["error"]["message"], "bad-bcc offset and message")
    check(r["header"]["vin"] == "LTESTGB10A0000001" and r["header"]["command"] == 2, "bad-bcc header kept")
    check(r["frame_len"] == 218 and r["hex"].endswith("C2"), "bad-bcc hex")

# -- the S6 deviation: rejected by default, read when asked -----------------
@section
def the_s6_deviation():
    r = decode("realtime-variant-tiza-01", rc=1)
    check(r["ok"] is False and r["error"]["code"] == "info_type", "tiza rejected by default")
    r = decode("realtime-variant-tiza-01", "--opt", "s6_variant=on")
    b = r["body"]
    check(r["ok"] and b["layout"] == "s6" and b["serial"] == 4, "tiza s6 layout")
    check(r["header"]["sw_version"] == 0x11 and b["time"] == "2019-06-03 15:25:59", "tiza header/time")
    obd, st = b["items"][0]["obd"], b["items"][1]
    check(obd["protocol"] == 1 and obd["support"] == 0xEB and obd["readiness"] == 0x80, "tiza obd")
    check(obd["calid"] == "601603-E2000000000" and obd["cvn"] == "TZWH0000X000000000", "tiza calid/cvn")
    check(obd["iupr"]["hex"].startswith("3130323031303230") and obd["iupr"]["hex"].endswith("00" * 28), "tiza iupr")
    check(len(b["items"][0]["s6_block"]) == 132 and b["items"][0]["s6_block"].startswith("20"), "tiza s6 block")
    for k, v in {"baro": 101, "torque": 27, "friction": 55, "rpm": 874.75, "fuel_rate": 17.75, "nox_up": 166.8,
                 "nox_down": 12.5, "reagent": 68, "dpf_dp": 118.6, "coolant": 51, "fuel_level": 33.6,
                 "lon": 109.494743, "lat": 34.407487, "odometer": 1100.5}.items():
        check(field(st, k)["value"] == v, f"tiza {k} = {field(st, k)}")
    check(abs(field(st, "speed")["value"] - 38.129) < 0.001, "tiza speed")
    check(any(w["code"] == "variant" for w in r["warnings"]), "tiza variant warning")

# -- GB 17691 session frames ------------------------------------------------
@section
def gb_17691_session_frames():
    r = decode("login-gb17691-02")
    check(r["kind"] == "login" and r["body"]["serial"] == 1 and r["body"]["iccid"] == "89860123456789012345", "login")
    check(r["body"]["time"] == "2024-05-20 08:00:00", "login time")
    r = decode("logout-gb17691-01")
    check(r["header"]["vin"] == "LG6ZDANH7EY208182" and r["header"]["sw_version"] == 2, "logout-01 header")
    check(r["body"] == {"time": "2020-09-17 19:46:52", "time_valid": True, "serial": 26}, "logout-01 body")
    r = decode("timing-resp-gb17691-01")
    check(r["kind"] == "time_calibration_answer" and r["body"]["time"] == "2024-05-20 08:00:01", "timing answer")
    r = decode("realtime-gb17691-03")
    obd = r["body"]["items"][0]["obd"]
    check(obd["calid"] == "0" * 18 and obd["iupr"]["hex"] == "30" * 36 and obd["dtc_count"] == 0, "rt03 obd")
    r = decode("reissue-gb17691-01")
    it = r["body"]["items"][0]
    check(r["header"]["command_name"] == "reissue" and it["serial"] == 3, "reissue serial")
    check(field(it, "speed")["value"] == 0 and field(it, "rpm")["value"] == 650 and field(it, "fuel_rate")["value"] == 2.1,
          "reissue values")

# -- HJ 1239 ------------------------------------------------------------------
@section
def hj_1239():
    r = decode("realtime-hj1239-01", "-p", "hj1239")
    b = r["body"]
    check(r["header"]["start_text"] == "~~" and b["layout"] == "hj" and b["serial"] == 18, "hj01 header")
    check(b["time"] == "2024-05-20 10:30:02" and [i["type"] for i in b["items"]] == [1, 2, 2, 0x80], "hj01 items")
    check(b["items"][2]["collect_time"] == "2024-05-20 10:30:01" and field(b["items"][2], "speed")["value"] == 66,
          "hj01 second stream")
    sup = b["items"][3]
    for k, v in {"torque_mode": 2, "pedal": 40, "total_fuel": 123456.5, "urea_temp": 25, "urea_dose": 1234.56,
                 "urea_total": 5678, "dpf_exh_temp": 450}.items():
        check(field(sup, k)["value"] == v, f"hj01 supplement {k} = {field(sup, k)}")
    check(field(sup, "torque_mode")["text"] == "torque_control", "hj01 torque mode text")
    sig = b["signature"]
    check(sig is not None and sig["r_len"] == 32 and sig["s_len"] == 32 and len(sig["r"]) == 64, "hj01 signature")
    check(sig["offset"] == r["header"]["data_len"] - 66 and r["warnings"] == [], "hj01 signature offset, no warnings")
    r2 = decode("realtime-hj1239-02", "-p", "hj1239")
    check(r2["header"]["start_text"] == "##" and r2["body"] == b, "hj02 = hj01 body")
    check([w["code"] for w in r2["warnings"]] == ["start"], "hj02 warns about ##")
    decode("realtime-hj1239-02", "-p", "hj1239", "--opt", "hash_in_hj=reject", rc=1)
    r = decode("realtime-hj1239-01", rc=1)          # ~~ under the default gb17691 profile
    check(r["error"]["code"] == "start" and list(r["header"]) == ["start", "start_text"], "~~ under gb17691")
    r = decode("realtime-hj1239-03", "-p", "hj1239")
    twc, hyb = r["body"]["items"]
    check(twc["type_name"] == "stream_twc_nox" and field(twc, "nox_down")["value"] == 12, "hj03 twc nox")
    check(field(twc, "twc_temp")["value"] == 650 and field(twc, "odometer")["value"] == 8888.8, "hj03 twc")
    check(field(hyb, "motor_speed")["value"] == 3000 and field(hyb, "batt_current")["value"] == -50, "hj03 hybrid")
    check(field(hyb, "batt_voltage")["value"] == 600 and field(hyb, "soc")["value"] == 80, "hj03 hybrid 2")
    r = decode("tamper-hj1239-01", "-p", "hj1239")
    check(r["kind"] == "tamper_alarm" and r["body"]["pos_status"]["flags"] == ["position_invalid"], "tamper")
    check(r["body"]["lon"]["value"] == 116.397128 and r["body"]["time"] == "2024-05-20 19:00:00", "tamper 2")
    r = decode("activation-hj1239-02", "-p", "hj1239")
    a = r["body"]
    check(a["chip_id"] == "TESTCHIP00000001" and a["vin"] == "LTESTHJ16N0000002", "activation ids")
    check(a["pubkey_x"].startswith("09F9DF31") and a["pubkey_y"].endswith("2DA9AD13"), "activation key")
    check(a["signature"]["offset"] == 103, "activation signature")
    r = decode("activation-resp-hj1239-02", "-p", "hj1239")
    check(r["body"]["status_name"] == "failed" and r["body"]["info_name"] == "vin_error", "activation answer")

# -- GB/T 32960 ---------------------------------------------------------------
@section
def gb_t_32960():
    r = decode("login-gb32960-01", "-p", "gb32960")
    check(r["header"]["response_name"] == "request" and r["header"]["vin"] == "LEWWDB331JN427774", "32960 login hdr")
    check("sw_version" not in r["header"], "32960 has no software version byte")
    check(r["body"]["serial"] == 34 and r["body"]["subsystems"] == 1 and r["body"]["code_len"] == 0, "32960 login")
    r = decode("platform-login-gb32960-01", "-p", "gb32960")
    check(r["header"]["vin"] == "123456789" and r["body"]["user"] == "SmallChi518", "32960 platform login")
    check(r["body"]["serial"] == 6666 and r["body"]["password"] == "1234567890123456789", "32960 platform login 2")
    r = decode("heartbeat-resp-gb32960-01", "-p", "gb32960")
    check(r["header"]["response_name"] == "success" and r["body"]["time"] == "2019-03-27 13:47:19", "32960 heartbeat")

# -- a hex log: columns, comments, spaced hex, a bad line ---------------------
@section
def a_hex_log():
    def hexof(name):
        return open(os.path.join(vectors, name + ".hex")).read().strip()
    login, rt = hexof("login-gb17691-02"), hexof("realtime-gb17691-02")
    log = ("# fleet log\n"
           "\n"
           f"12.000 LTESTGB10A0000001 {login}\n"
           f"1716172200.5\t10.0.0.2:40000\tLTESTGB10A0000001\t{rt}   # endpoint log\n"
           + " ".join(login[i:i + 2] for i in range(0, len(login), 2)) + "\r\n"
           f"13.000 LTESTGB10A0000001 {login[:-1]}\n"
           f"14.000 LTESTGB10A0000001 {login[:10]}X{login[11:]}\n")
    path = os.path.join(tmp, "log.txt")
    open(path, "w").write(log)
    code, out, err = run(path)
    recs = records(out, "log")
    check(code == 1, f"log: exit {code}, expected 1")
    check([r["ok"] for r in recs] == [True, True, True, False, False], f"log: ok flags {[r['ok'] for r in recs]}")
    check([r["source"]["line"] for r in recs] == [3, 4, 5, 6, 7], "log: line numbers")
    check(recs[0]["source"]["file"] == path and recs[0]["source"]["offset"] == len("# fleet log\n\n"), "log: offset")
    check(recs[1]["kind"] == "report" and recs[2]["kind"] == "login", "log: kinds")
    check(recs[3]["error"]["code"] == "syntax" and "even" in recs[3]["error"]["message"], "log: odd digits")
    check(recs[4]["error"]["code"] == "syntax" and recs[4]["error"]["offset"] == 25 + 10, "log: bad digit column")

# -- stdin, both ways -----------------------------------------------------------
@section
def stdin_both_ways():
    data = open(os.path.join(vectors, "login-gb17691-02.hex"), "rb").read()
    for args in ((), ("-",)):
        code, out, err = run(*args, stdin=data)
        recs = records(out, "stdin")
        check(code == 0 and len(recs) == 1 and recs[0]["kind"] == "login", f"stdin {args}: exit {code}")
        check(recs and recs[0]["source"]["file"] == "-", "stdin: file is '-'")

# -- --raw: frames back to back, garbage between --------------------------------
@section
def raw():
    code, out, err = run("--raw", os.path.join(tmp, "clean.bin"))
    recs = records(out, "raw clean")
    check(code == 0 and [r["kind"] for r in recs] == ["login", "report", "logout"], f"raw clean: {code} {err}")
    check([r["source"]["offset"] for r in recs] == [0, 53, 271], "raw clean: offsets")
    code, out, err = run("--raw", os.path.join(tmp, "garbage.bin"))
    recs = records(out, "raw garbage")
    check(code == 1, f"raw garbage: exit {code}, expected 1")
    frames = [r for r in recs if r["ok"]]
    check([r["kind"] for r in frames] == ["login", "report", "logout"], "raw garbage: the three frames")
    check([r["source"]["offset"] for r in frames] == [8, 61, 282], "raw garbage: frame offsets")
    bad = [r for r in recs if not r["ok"]]
    check(len(bad) >= 2 and all(r["source"]["offset"] < 8 or 279 <= r["source"]["offset"] < 282 for r in bad),
          f"raw garbage: error records {[(r['source']['offset'], r['error']['code']) for r in bad]}")
    check(recs[0]["ok"] is False and recs[0]["source"]["offset"] == 0, "raw garbage: leading garbage first")
    code, out, err = run("--raw", os.path.join(tmp, "cut.bin"))
    recs = records(out, "raw cut")
    check(code == 1 and len(recs) == 1 and recs[0]["error"]["code"] == "short", f"raw cut: {code} {recs}")
    code, out, err = run("--raw", stdin=open(os.path.join(tmp, "clean.bin"), "rb").read())
    check(code == 0 and len(records(out, "raw stdin")) == 3, "raw stdin")

# -- --pretty: indented, same documents -------------------------------------------
@section
def pretty():
    code, out, err = run("--pretty", os.path.join(tmp, "log.txt"))
    docs, pos, dec = [], 0, json.JSONDecoder()
    while pos < len(out.rstrip()):
        while out[pos].isspace():
            pos += 1
        doc, pos = dec.raw_decode(out, pos)
        docs.append(doc)
    check(code == 1 and len(docs) == 5 and "\n  \"ok\": true" in out, "pretty output")

# -- usage and I/O errors ---------------------------------------------------------------
@section
def usage_and_i_o_errors():
    missing = os.path.join(tmp, "no-such-file.hex")
    code, out, err = run(missing)
    check(code == 2 and missing in err, f"missing file: exit {code}, stderr {err!r}")
    code, out, err = run(os.path.join(vectors, "login-gb17691-02.hex"), missing)
    check(code == 2 and len(records(out, "missing+1")) == 1, "missing file after a good one: still exit 2")
    for args in (("--profile", "nope"), ("--opt", "no_such_option=1"), ("--opt", "range_check=maybe"), ("--bogus",)):
        code, out, err = run(*args, stdin=b"")
        check(code == 2 and err.strip() != "" and out == "", f"usage error {args}: exit {code}")
    code, out, err = run("--help")
    check(code == 0 and all(o in out for o in ("--profile", "--strict", "--opt", "--raw", "--pretty", "--help",
                                                "s6_variant", "~~")), "help text")

for s in sections:
    try:
        s()
    except Exception as e:  # unexpected output shape: report, go on with the next section
        failures.append(f"{s.__name__}: {type(e).__name__}: {e}")

if failures:
    print(f"{len(failures)} check(s) failed:")
    for f in failures:
        print("  " + f)
    sys.exit(1)
print("decode_vectors: all checks passed")
PY
