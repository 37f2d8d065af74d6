#!/usr/bin/env bash
# The HTML conformance report in a real browser: headless Chromium loads the
# report of a log with injected faults (file://, no network), dumps the DOM
# and takes a screenshot; the verdict counts shown in the page must equal
# those of the JSON document, and the page must have its case table, the
# findings with frame hex and the charts.  The screenshot stays in the
# test's temp dir (CHECK_HTML_KEEP=DIR copies it and the page there).
# Exit 0 pass, 77 skip (reason on the last line), anything else fail.
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
remsim=${REMSIM:-$root/build/remsim}
tools="$root/tests/integration/capture_tools.py"

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "skipped: chromium not installed (Debian package chromium; ci/deps.sh installs it)"; exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "skipped: python3 not found"; exit 77
fi
if [ ! -x "$remsim" ]; then
  echo "skipped: remsim binary not found at $remsim (set REMSIM or build it)"; exit 77
fi
shared=${REMSIM_SHARED:-$root/../shared}
if [ ! -d "$shared/traces" ]; then
  echo "skipped: shared data not found at $shared (set REMSIM_SHARED)"; exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cd "$root" || exit 1
"$remsim" run scenarios/urban.lua --offline --out "$tmp/frames.log" -n 3 --duration 600 >/dev/null 2>&1 || fail "remsim run"
python3 "$tools" inject "$tmp/frames.log" "$tmp/faulty.log" "$tmp/faults.json" || fail "inject"
python3 "$tools" pcap "$tmp/faulty.log" "$tmp/faulty.pcap" || fail "pcap"
"$remsim" check "$tmp/faulty.pcap" --json "$tmp/r.json" --html "$tmp/r.html" -q >/dev/null 2>&1
[ $? -eq 1 ] || fail "remsim check: want exit 1"

flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-extensions --disable-background-networking
       --user-data-dir="$tmp/profile" --window-size=1280,2400)
timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$tmp/r.html" >"$tmp/dom.html" 2>"$tmp/chromium.err" ||
  fail "chromium --dump-dom: $(tail -3 "$tmp/chromium.err")"
timeout 120 "$browser" "${flags[@]}" --screenshot="$tmp/report.png" "file://$tmp/r.html" >/dev/null 2>>"$tmp/chromium.err" ||
  fail "chromium --screenshot: $(tail -3 "$tmp/chromium.err")"
[ -s "$tmp/report.png" ] || fail "no screenshot written"
if [ -n "${CHECK_HTML_KEEP:-}" ]; then
  mkdir -p "$CHECK_HTML_KEEP" && cp "$tmp/report.png" "$tmp/r.html" "$tmp/r.json" "$CHECK_HTML_KEEP/"
fi

exec python3 - "$tmp" <<'PY'
import html.parser, json, os, sys

tmp = sys.argv[1]
doc = json.load(open(os.path.join(tmp, "r.json")))
failures = []
def check(cond, what):
    if not cond:
        failures.append(what)

class Dom(html.parser.HTMLParser):
    """Text of elements by id, the attributes of #verdict, rows of #cases."""
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.by_id, self.open_ids, self.verdict, self.case_rows, self.tags = {}, [], {}, [], {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if a.get("id") == "verdict":
            self.verdict = a
        if tag == "tr" and "data-case" in a:
            self.case_rows.append((a["data-case"], a.get("data-verdict")))
        self.open_ids.append(a.get("id"))
        if a.get("id"):
            self.by_id[a["id"]] = ""
    def handle_endtag(self, tag):
        if self.open_ids:
            self.open_ids.pop()
    def handle_data(self, data):
        for i in self.open_ids:
            if i:
                self.by_id[i] += data

d = Dom()
d.feed(open(os.path.join(tmp, "dom.html"), encoding="utf-8").read())
counts = doc["counts"]
for key in ("pass", "fail", "not_applicable", "skipped"):
    shown = d.by_id.get(f"count-{key}", "").strip()
    check(shown == str(counts[key]), f"page shows {key} = {shown!r}, JSON says {counts[key]}")
check(d.verdict.get("data-fail") == str(counts["fail"]), "#verdict data-fail matches the JSON")
check(d.verdict.get("data-verdict") == doc["verdict"] == "fail", "the verdict banner says fail")
check(d.by_id.get("vins-fail", "").strip() == str(doc["vins"]["failed"]), "failed VINs shown")
want = {c["id"]: c["verdict"] for c in doc["cases"]}
check(dict(d.case_rows) == want, "the case table shows every case with its JSON verdict")
check(d.tags.get("svg", 0) >= 2, f"charts drawn as inline SVG: {d.tags.get('svg', 0)}")
check(d.tags.get("pre", 0) >= 3, "findings show frame hex and decoded fields")
check(d.tags.get("script", 0) == 0, "no scripts")
page = open(os.path.join(tmp, "r.html"), encoding="utf-8").read()
check("http://" not in page.replace("http://www.w3.org/2000/svg", "") and "https://" not in page,
      "nothing fetched from the network")
png = open(os.path.join(tmp, "report.png"), "rb").read(24)
check(png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") == 1280, "a 1280-pixel-wide PNG screenshot")
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
PY
