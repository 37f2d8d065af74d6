/* Private to the report views: markup escaping and shared phrases. */
#ifndef REMSIM_REPORT_INTERNAL_H
#define REMSIM_REPORT_INTERNAL_H

#include <stdio.h>

#include "remsim/error.h"
#include "remsim/result.h"

/* Writes s escaped for HTML or XML text and attribute values: & < > " '
 * become entities; control characters (except tab and newline) and bytes
 * that are not valid UTF-8 become U+FFFD. */
void rs_markup(FILE *f, const char *s);

/* "1 of 2 thresholds failed, per-VIN check failed" (or "all 2 thresholds
 * passed, per-VIN check passed"); what the console, JUnit and HTML say. */
void rs_report_verdict_text(const rs_result *r, char *buf, size_t cap);

/* The observed value of a verdict in the metric's unit ("12.345 ms",
 * "3", "no data"). */
void rs_report_observed(const rs_threshold_verdict *v, char *buf, size_t cap);

/* "lost 3 (conn_lost_unsent 2, unexplained 1)" for the per-VIN check. */
void rs_report_lost_text(const rs_checks *c, char *buf, size_t cap);

/* Inline SVG charts (report_svg.c).  Each writes one <svg> element, or a
 * <p> saying there is no data. */
void rs_svg_rate_chart(FILE *f, const rs_series *s);
void rs_svg_hist_chart(FILE *f, const rs_hist *h, const char *title);
void rs_svg_command_chart(FILE *f, const rs_metrics *m);

/* RS_OK, or RS_E_IO with errno when the stream had an error. */
rs_code rs_report_status(FILE *f, rs_err *err);

#endif
