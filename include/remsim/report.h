/* Views of a result document (result.h): the console summary, JUnit XML
 * and a self-contained HTML report.  (Not to be confused with msg_json.h,
 * which writes the protocol's report frames.)  docs/results.md shows each.
 *
 * All three write to a FILE and return RS_E_IO (errno in got) when the
 * writing failed; text from the document (scenario names, VINs, command
 * lines) is escaped for the format, and bytes that are not valid UTF-8 or
 * are control characters are replaced, so any document gives a well-formed
 * file. */
#ifndef REMSIM_REPORT_H
#define REMSIM_REPORT_H

#include <stdio.h>

#include "remsim/error.h"
#include "remsim/result.h"

/* Plain text, aligned columns, human units; the one-line verdict comes
 * last, so it is what a terminal or a CI log shows at the bottom. */
rs_code rs_report_console(FILE *out, const rs_result *r, rs_err *err);

/* JUnit XML: one <testsuite name="remsim run"> with one <testcase> per
 * threshold and one for the per-VIN check (skipped when it did not run);
 * a failure carries the observed value and the limit in its message. */
rs_code rs_report_junit(FILE *out, const rs_result *r, rs_err *err);

/* One HTML file, no network needed: inline CSS, inline SVG charts drawn
 * here (frames/s over time, a log-x bar chart per latency histogram,
 * frames per command), the verdicts at the top, tables of every counter,
 * gauge and listed VIN.  No scripts. */
rs_code rs_report_html(FILE *out, const rs_result *r, rs_err *err);

#endif
