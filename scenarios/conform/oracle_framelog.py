#!/usr/bin/env python3
"""The oracle of `remsim conform platform` for the reference endpoint.

    remsim serve --listen 127.0.0.1:9000 --log frames.log ...
    remsim conform platform --target 127.0.0.1:9000 \
        --oracle "python3 scenarios/conform/oracle_framelog.py --log frames.log"

The suite runs this command once per question, with one JSON query on
stdin, and reads one JSON answer from stdout (docs/conformance-platform.md,
"The oracle").  It answers from the endpoint's frame log (docs/serve.md,
"The frame log"): a frame counts as stored when an accepted-frame line
(not a '#' comment: rejections, events) of the log holds a frame with the
query's VIN, command, data-unit time and, when the query has one, serial.

Query (fields this oracle reads; others are ignored):
    {"query": "stored", "profile": "gb17691", "vin": "LRSPF...", "cmd": 2,
     "time": "2026-05-20 10:30:00", "serial": 3, "hex": "2323...", "wait_ms": 3000}
Answer:
    {"stored": true, "count": 1, "identical": 1, "first_seen": "2026-...Z"}
    count: matching frames in the log; identical: of them, byte for byte the
    frame sent ("hex").  {"error": "..."} when it cannot answer.

The endpoint writes its log at least once a second, so a frame not found
is looked for again until wait_ms has passed before the answer says no.
"""
import argparse
import json
import sys
import time


def frame_key(f, profile):
    """(cmd, time text, serial or None) of a frame's bytes."""
    ev = profile == "gb32960"
    cmd = f[2]
    data = f[24:-1]
    if len(data) < 6:
        return cmd, None, None
    t = "20%02d-%02d-%02d %02d:%02d:%02d" % tuple(data[:6])
    serial = None
    if ev:
        if cmd in (0x01, 0x04, 0x05, 0x06) and len(data) >= 8:   # logins and logouts: time, serial
            serial = int.from_bytes(data[6:8], "big")
    elif cmd in (0x01, 0x04, 0x06) and len(data) >= 8:            # login, logout, removal alarm
        serial = int.from_bytes(data[6:8], "big")
    elif cmd in (0x02, 0x03):
        if profile == "hj1239" and len(data) >= 8:                 # send time, packet serial (§7.2)
            serial = int.from_bytes(data[6:8], "big")
        elif len(data) >= 9:                                       # time, {type, serial, ...} (§7.1)
            serial = int.from_bytes(data[7:9], "big")
    return cmd, t, serial


def look(log, q):
    vin, cmd, want_t = q.get("vin"), q.get("cmd"), q.get("time")
    serial = q.get("serial")
    want_hex = (q.get("hex") or "").upper()
    profile = q.get("profile", "gb17691")
    count = identical = 0
    first = None
    with open(log, "r", encoding="ascii", errors="replace") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            cols = line.split()
            if len(cols) < 4 or cols[2] != vin:
                continue
            try:
                f = bytes.fromhex(cols[3])
            except ValueError:
                continue
            if len(f) < 25:
                continue
            c, t, s = frame_key(f, profile)
            if c != cmd or (want_t is not None and t != want_t) or (serial is not None and s != serial):
                continue
            count += 1
            if want_hex and cols[3].upper() == want_hex:
                identical += 1
            if first is None:
                first = cols[0]
    return count, identical, first


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--log", required=True, help="the frame log of remsim serve (--log FILE)")
    ap.add_argument("--poll-ms", type=int, default=100, help="how often to look again while waiting")
    a = ap.parse_args()
    try:
        q = json.loads(sys.stdin.readline())
    except ValueError as e:
        print(json.dumps({"error": f"the query is not JSON: {e}"}))
        return
    if q.get("query") != "stored":
        print(json.dumps({"error": f"unknown query '{q.get('query')}' (this oracle answers 'stored')"}))
        return
    if not q.get("vin") or q.get("cmd") is None:
        print(json.dumps({"error": "a 'stored' query needs vin and cmd"}))
        return
    deadline = time.monotonic() + max(0, int(q.get("wait_ms") or 0)) / 1000.0
    while True:
        try:
            count, identical, first = look(a.log, q)
        except OSError as e:
            print(json.dumps({"error": f"cannot read the frame log {a.log}: {e.strerror}"}))
            return
        if count or time.monotonic() >= deadline:
            break
        time.sleep(a.poll_ms / 1000.0)
    print(json.dumps({"stored": count > 0, "count": count, "identical": identical, "first_seen": first}))


if __name__ == "__main__":
    main()
