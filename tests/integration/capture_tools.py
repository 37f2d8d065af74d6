#!/usr/bin/env python3
"""Test helpers for `remsim check` (tests/integration/check_capture.sh).

  capture_tools.py inject LOG OUT FAULTS.json
      copies a frame log with one fault of each kind injected and writes what
      was injected (case id, line number of OUT, VIN) to FAULTS.json
  capture_tools.py pcap LOG OUT.pcap [--pcapng] [--only KINDS]
      writes the log's frames as TCP traffic: one connection per VIN with a
      handshake, the byte stream cut at irregular points (frames split across
      segments and several frames in one segment), one segment sent twice
      (a retransmission), two segments swapped (out of order), and a
      time-calibration answer from the platform for each request.
  capture_tools.py verdicts A.json B.json [--ignore CASE...]
      exits 1 when the per-case verdicts of two result documents differ.

Frames are GB 17691 (## start, VIN at 3..19, length at 22..23)."""
import json
import struct
import sys


def parse_log(path):
    lines = open(path).read().splitlines()
    out = []
    for i, l in enumerate(lines):
        if not l or l.startswith("#"):
            out.append((l, None))
            continue
        cols = l.split()
        out.append((l, cols))
    return out


def bcc(b):
    x = 0
    for c in b[2:-1]:
        x ^= c
    return x


def reseal(frame):
    frame = bytearray(frame)
    frame[-1] = bcc(frame)
    return bytes(frame)


def line_of(cols, frame):
    return " ".join(cols[:-1] + [frame.hex().upper()])


def inject(log, out, faults_path):
    rows = parse_log(log)
    frames = [(i, bytes.fromhex(c[-1]), c) for i, (l, c) in enumerate(rows) if c]
    vins = sorted({f[8:20].decode() if False else f[3:20].decode() for _, f, _ in frames})
    assert len(vins) >= 3, "need three VINs"
    by_vin = {v: [(i, f, c) for i, f, c in frames if f[3:20].decode() == v] for v in vins}

    def realtime(v, k):
        rt = [(i, f, c) for i, f, c in by_vin[v] if f[2] == 0x02]
        return rt[k]

    edits = {}      # original index -> new line
    inserts = {}    # original index -> lines inserted before it
    faults = []
    # 1. a flipped BCC (VIN 0, 5th real-time packet)
    i, f, c = realtime(vins[0], 5)
    g = bytearray(f)
    g[-1] ^= 0x5A
    edits[i] = line_of(c, bytes(g))
    faults.append({"case": "3.1/bcc", "index": i, "vin": vins[0]})
    # 2. a skipped serial (VIN 1, 10th packet: every item serial +1)
    i, f, c = realtime(vins[1], 10)
    g = bytearray(f)
    off = 24 + 6
    n = 24 + (g[22] << 8 | g[23])
    while off < n:
        t = g[off]
        s = (g[off + 1] << 8 | g[off + 2]) + 1
        g[off + 1], g[off + 2] = s >> 8, s & 0xFF
        off += 3 + (96 + 4 * g[off + 3 + 95] if t == 0x01 else {0x02: 37, 0x80: 17}[t])
    edits[i] = line_of(c, reseal(g))
    faults.append({"case": "10/report-serial", "index": i, "vin": vins[1]})
    # 3. a wrong length (VIN 2, 3rd packet: length field one less)
    i, f, c = realtime(vins[2], 3)
    g = bytearray(f)
    ln = (g[22] << 8 | g[23]) - 1
    g[22], g[23] = ln >> 8, ln & 0xFF
    edits[i] = line_of(c, reseal(g))
    faults.append({"case": "3.1/length", "index": i, "vin": vins[2]})
    # 4. a logout with the wrong serial (VIN 2)
    i, f, c = [x for x in by_vin[vins[2]] if x[1][2] == 0x04][-1]
    g = bytearray(f)
    g[24 + 7] ^= 0x07
    edits[i] = line_of(c, reseal(g))
    faults.append({"case": "6.2/logout-serial", "index": i, "vin": vins[2]})
    # 5. a duplicated frame (VIN 0, 20th packet sent twice)
    i, f, c = realtime(vins[0], 20)
    inserts.setdefault(i + 1, []).append(rows[i][0])
    faults.append({"case": "10/duplicate-sample", "index": i + 1, "vin": vins[0], "inserted": True})
    # 6. a garbage line
    k = len(rows) // 2
    inserts.setdefault(k, []).append("this line is no frame at all")
    faults.append({"case": "3.5/garbage", "index": k, "vin": "", "inserted": True})

    out_lines = []
    for idx, (l, c) in enumerate(rows):
        for extra in inserts.get(idx, []):
            out_lines.append(extra)
            for ft in faults:
                if ft.get("inserted") and ft["index"] == idx and "line" not in ft and \
                        (extra == rows[idx - 1][0]) == (ft["case"] != "3.5/garbage"):
                    ft["line"] = len(out_lines)
        out_lines.append(edits.get(idx, l))
        for ft in faults:
            if not ft.get("inserted") and ft["index"] == idx:
                ft["line"] = len(out_lines)
    for ft in faults:
        ft.pop("inserted", None)
        del ft["index"]
    open(out, "w").write("\n".join(out_lines) + "\n")
    json.dump(faults, open(faults_path, "w"), indent=1)


# --- pcap ---

def ip_tcp(src, dst, sport, dport, seq, ack, flags, payload):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
    total = 20 + len(tcp) + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, 6, 0, bytes(src), bytes(dst))
    eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
    return eth + ip + tcp + payload


def log_time_us(col):
    # 2026-01-01T00:00:01.000Z
    import calendar
    import time
    t = time.strptime(col[:19], "%Y-%m-%dT%H:%M:%S")
    return calendar.timegm(t) * 1000000 + int(col[20:23]) * 1000


def timecal_answer(req):
    vin = req[3:20]
    body = bytes([26, 1, 1, 8, 0, 2])
    hdr = b"##" + bytes([0x05]) + vin + bytes([req[20], 0x01, 0, 6])
    f = hdr + body + b"\0"
    return reseal(f)


def is_hex(t):
    try:
        bytes.fromhex(t)
        return len(t) >= 50
    except ValueError:
        return False


def build_pcap(log, out, pcapng=False):
    rows = [c for _, c in parse_log(log) if c and len(c) >= 4 and is_hex(c[-1])]
    flows = {}
    for c in rows:
        f = bytes.fromhex(c[-1])
        flows.setdefault(f[3:20], []).append((log_time_us(c[0]), f))
    packets = []  # (time, seq-for-order, bytes)
    order = 0
    client_ip, server_ip = [127, 0, 0, 2], [127, 0, 0, 1]
    flow_no = 0
    for vin, frames in flows.items():
        flow_no += 1
        cport, sport = 40000 + flow_no, 9000
        cseq, sseq = 1000 * flow_no, 500000 + flow_no
        t0 = frames[0][0] - 1000
        segs = []  # (time, from_client, seq, payload)
        packets.append((t0, order, ip_tcp(client_ip, server_ip, cport, sport, cseq, 0, 0x02, b"")))
        order += 1
        packets.append((t0 + 100, order, ip_tcp(server_ip, client_ip, sport, cport, sseq, cseq + 1, 0x12, b"")))
        order += 1
        cseq += 1
        sseq += 1
        # the client's byte stream, cut at irregular points
        stream = bytearray()
        starts = []
        for t, f in frames:
            starts.append((len(stream), t))
            stream += f
        cuts, pos, k = [], 0, 0
        pattern = [7, 300, 1, 24, 900, 53, 2000, 11]
        while pos < len(stream):
            n = pattern[k % len(pattern)]
            k += 1
            cuts.append((pos, min(pos + n, len(stream))))
            pos += n
        si = 0
        for a, b in cuts:
            while si + 1 < len(starts) and starts[si + 1][0] <= a:
                si += 1
            segs.append((starts[si][1], cseq + a, bytes(stream[a:b])))
        for n, (t, seq, payload) in enumerate(segs):
            packets.append((t, order, ip_tcp(client_ip, server_ip, cport, sport, seq, sseq, 0x18, payload)))
            order += 1
            if n == 5 and flow_no == 1:  # a retransmission
                packets.append((t + 200, order, ip_tcp(client_ip, server_ip, cport, sport, seq, sseq, 0x18, payload)))
                order += 1
        if flow_no == 1:  # two segments out of order
            idx = [i for i, p in enumerate(packets) if p[2][34:36] == struct.pack("!H", cport)]
            a, b = idx[8], idx[9]
            packets[a], packets[b] = (packets[a][0], packets[b][1], packets[b][2]), (packets[b][0], packets[a][1], packets[a][2])
        for t, f in frames:  # the platform answers time calibration requests
            if f[2] == 0x05 and (f[22] << 8 | f[23]) == 0:
                ans = timecal_answer(f)
                packets.append((t + 1500, order, ip_tcp(server_ip, client_ip, sport, cport, sseq, cseq, 0x18, ans)))
                order += 1
                sseq += len(ans)
    packets.sort(key=lambda p: (p[0], p[1]))
    with open(out, "wb") as fp:
        if not pcapng:
            fp.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for t, _, p in packets:
                fp.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(p), len(p)) + p)
        else:
            def block(btype, body):
                pad = (4 - len(body) % 4) % 4
                body += b"\0" * pad
                n = 12 + len(body)
                return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
            fp.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
            fp.write(block(1, struct.pack("<HHI", 1, 0, 65535)))
            for t, _, p in packets:
                fp.write(block(6, struct.pack("<IIIII", 0, t >> 32, t & 0xFFFFFFFF, len(p), len(p)) + p))


def verdicts(a, b, ignore):
    va = {c["id"]: c["verdict"] for c in json.load(open(a))["cases"]}
    vb = {c["id"]: c["verdict"] for c in json.load(open(b))["cases"]}
    bad = [(k, va[k], vb.get(k)) for k in va if k not in ignore and va[k] != vb.get(k)]
    for k, x, y in bad:
        print(f"verdicts differ: {k}: {x} vs {y}")
    return 1 if bad else 0


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "inject":
        inject(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "pcap":
        build_pcap(sys.argv[2], sys.argv[3], "--pcapng" in sys.argv)
    elif cmd == "verdicts":
        ign = sys.argv[5:] if len(sys.argv) > 4 and sys.argv[4] == "--ignore" else []
        sys.exit(verdicts(sys.argv[2], sys.argv[3], ign))
    else:
        sys.exit(__doc__)
