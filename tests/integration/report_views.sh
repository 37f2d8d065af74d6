#!/usr/bin/env bash
# remsim report on result documents written by report_fixture.py (an
# independent writer of the documented format): the console summary, the
# HTML report (every opened tag closed, nothing fetched, the verdict counts),
# JUnit XML (valid XML, one suite, a case per threshold and one for the
# per-VIN check), --fail-if exit codes and error messages, -o round trip.
# Exit 0 pass, 77 skip (reason on the last line), anything else fail.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
remsim=${REMSIM:-$root/build/remsim}

if ! command -v python3 >/dev/null 2>&1; then
  echo "skipped: python3 not found"; exit 77
fi
if [ ! -x "$remsim" ]; then
  echo "skipped: remsim binary not found at $remsim (set REMSIM or build it)"; exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$root/tests/integration/report_fixture.py" "$tmp" || { echo "fixture failed"; exit 1; }

exec python3 - "$remsim" "$tmp" <<'PY'
import html.parser, json, os, subprocess, sys
import xml.etree.ElementTree as ET

remsim, tmp = sys.argv[1:3]
failures = []

def check(cond, what):
    if not cond:
        failures.append(what)
    return cond

def run(*args):
    p = subprocess.run([remsim, "report", *args], capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")

def path(name):
    return os.path.join(tmp, name)

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

class Balance(html.parser.HTMLParser):
    """Every opened element is closed, in order; collects what we look for."""
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.tags, self.attrs, self.text = [], [], {}, [], []
    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.attrs.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))
    def handle_startendtag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        self.attrs.append((tag, dict(attrs)))
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"</{tag}> at {self.getpos()} closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()
    def handle_data(self, data):
        self.text.append(data)

# -- the views of a failing run ------------------------------------------
code, out, err = run(path("both.json"), "--html", path("r.html"), "--junit", path("r.xml"),
                     "--fail-if", "lost>0", "--fail-if", "p99_latency_ms > 100000", "--fail-if", "p99_tls_handshake_ms>1")
check(code == 1, f"failing run: exit {code}, expected 1; stderr {err}")
lines = out.rstrip("\n").split("\n")
check(lines[-2].startswith("RESULT: FAIL  1 of 3 thresholds failed (1 without data), per-VIN check failed"),
      f"summary ends with the verdict: {lines[-2:]}")
check("frames " in lines[-1] and "lost 28" in lines[-1], f"last line: {lines[-1]}")
check("  0x02 realtime" in out and "  0x05 timecal" in out, "frames per command in the summary")

text = open(path("r.html"), encoding="utf-8").read()
p = Balance()
p.feed(text)
p.close()
check(not p.errors, f"html: mismatched tags: {p.errors[:5]}")
check(not p.stack, f"html: unclosed tags: {p.stack[:5]}")
check(text.startswith("<!DOCTYPE html>"), "html: doctype")
check("script" not in p.tags and "link" not in p.tags and "img" not in p.tags and "iframe" not in p.tags,
      f"html: no scripts or external resources: {sorted(p.tags)}")
for tag, attrs in p.attrs:
    for k, v in attrs.items():
        if k in ("src", "href") or (v and "url(" in v):
            failures.append(f"html: <{tag} {k}={v}> would fetch something")
        if k == "xmlns":
            check(v == "http://www.w3.org/2000/svg", f"html: namespace {v}")
check(text.count("http") == text.count('xmlns="http://www.w3.org/2000/svg"'), "html: no URL except SVG namespaces")
verdict = [a for t, a in p.attrs if a.get("id") == "verdict"]
check(len(verdict) == 1, "html: one verdict element")
if verdict:
    v = verdict[0]
    check((v.get("data-verdict"), v.get("data-thresholds"), v.get("data-failed"), v.get("data-passed"),
           v.get("data-nodata"), v.get("data-check")) == ("fail", "3", "1", "1", "1", "fail"),
          f"html: verdict counts {v}")
body = "".join(p.text)
check("FAIL: 1 of 3 thresholds failed (1 without data), per-VIN check failed" in body, "html: verdict text")
check(p.tags.get("svg", 0) >= 5, f"html: charts ({p.tags.get('svg', 0)} svg)")
check(p.tags.get("polyline", 0) >= 1, "html: the frames/s line")
check("LTESTBB000000009" in body, "html: listed VINs")
check("frames_tx_realtime" in body and "samples_dropped_conn_lost_unsent" in body, "html: counter table")
check("values above 71 min 35 s" in body, "html: the overflow bucket is mentioned")

tree = ET.parse(path("r.xml"))
root = tree.getroot()
suites = root.findall("testsuite")
check(root.tag == "testsuites" and len(suites) == 1, "junit: one testsuite inside testsuites")
if suites:
    s = suites[0]
    cases = s.findall("testcase")
    check(s.get("name") == "remsim run", f"junit: suite name {s.get('name')}")
    check(len(cases) == 4 and s.get("tests") == "4", f"junit: 4 cases ({len(cases)}, tests={s.get('tests')})")
    fails = [c for c in cases if c.find("failure") is not None]
    check(s.get("failures") == "2" and len(fails) == 2, f"junit: 2 failures ({s.get('failures')})")
    names = [c.get("name") for c in cases]
    check(names == ["lost>0", "p99_latency_ms>100000", "p99_tls_handshake_ms>1", "per-VIN check"],
          f"junit: case names {names}")
    lost = fails[0].find("failure") if fails else None
    check(lost is not None and "observed 28" in lost.get("message", ""), "junit: failure message has the value")
    props = {q.get("name"): q.get("value") for q in s.iter("property")}
    check(props.get("profile") == "hj1239" and props.get("terminals") == "35", f"junit: properties {props}")

# -- a passing run --------------------------------------------------------
code, out, err = run(path("a.json"), "--fail-if", "p99_latency_ms>100000", "--fail-if", "frames_per_s<10",
                     "--junit", path("a.xml"))
check(code == 0, f"passing run: exit {code}; {err}")
check(out.rstrip("\n").split("\n")[-2].startswith("RESULT: PASS  all 2 thresholds passed"), "passing summary")
s = ET.parse(path("a.xml")).getroot().find("testsuite")
check(s is not None and s.get("failures") == "0", "junit of a passing run")

# -- thresholds saved with -o are evaluated again on reading ------------------
code, out, err = run(path("a.json"), "-q", "--fail-if", "frames_per_s<100000", "-o", path("a2.json"))
check(code == 1 and out == "", f"-o with a failing threshold: exit {code}, quiet: {out!r}")
doc = json.load(open(path("a2.json")))
check(doc["verdict"] == "fail" and doc["thresholds"][0]["verdict"] == "fail", "saved verdicts")
check(abs(doc["thresholds"][0]["observed"] - doc["summary"]["frames_per_s"]) < 0.001, "observed = summary value")
code, out, err = run(path("a2.json"), "-q")
check(code == 1, f"a stored threshold still fails on reading: exit {code}")
code, out, err = run(path("a2.json"), "-q", "-o", path("a3.json"))
check(open(path("a2.json"), "rb").read() == open(path("a3.json"), "rb").read(), "read + write gives the same bytes")
code, out, err = run(path("a.json"), "-o", "-")
check(code == 0 and json.loads(out)["format"] == "remsim-result", "-o - writes the document to stdout")

# -- usage errors: exit 2 with a message that helps --------------------------
code, out, err = run(path("a.json"), "--fail-if", "p99_latncy_ms>500")
check(code == 2 and "close names: p99_latency_ms" in err and "at byte 0" in err, f"unknown metric: {code} {err}")
code, out, err = run(path("a.json"), "--fail-if", "lost=>0")
check(code == 2 and "at byte 4" in err and "operator" in err, f"syntax error: {code} {err}")
code, out, err = run(path("a.json"), "--fail-if", "lost>0 ms")
check(code == 2 and "at byte 7" in err, f"text after the number: {code} {err}")
code, out, err = run(path("missing.json"))
check(code == 2 and "missing.json" in err, f"missing file: {code} {err}")
data = open(path("a.json")).read()
open(path("cut.json"), "w").write(data[: len(data) // 2])
code, out, err = run(path("cut.json"))
check(code == 2 and "at byte" in err and "syntax error" in err, f"truncated file: {code} {err}")
open(path("typo.json"), "w").write(data.replace('"frames_tx_login"', '"frames_tx_logn"'))
code, out, err = run(path("typo.json"))
at = data.replace('"frames_tx_login"', '"frames_tx_logn"').index('"frames_tx_logn"')
check(code == 2 and f"at byte {at} (counters)" in err, f"unknown counter in the file: {code} {err}")
code, out, err = run()
check(code == 2 and "which result file" in err, f"no file: {code} {err}")
code, out, err = run(path("a.json"), path("b.json"))
check(code == 2 and "merge" in err, f"two files without merge: {code} {err}")
code, out, err = run("--bogus")
check(code == 2, f"unknown option: {code}")

# -- --list-metrics and --help ------------------------------------------------
code, out, err = run("--list-metrics")
names = [l.split()[0] for l in out.splitlines() if l.strip()]
check(code == 0 and len(names) == len(set(names)), "list-metrics: unique names")
for n in ("frames_tx_realtime", "connections_up", "max_reissue_backlog", "p99_latency_ms", "p99_connect_ms",
          "lost", "errors", "frames_per_s", "mean_latency_echo_us"):
    check(n in names, f"list-metrics has {n}")
code, out, err = run("--help")
check(code == 0 and all(o in out for o in ("--html", "--junit", "--fail-if", "--output", "merge", "--list-metrics")),
      "help text")

if failures:
    print(f"{len(failures)} check(s) failed:")
    for f in failures:
        print("  " + f)
    sys.exit(1)
print("report_views: all checks passed")
PY
