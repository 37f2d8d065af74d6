/* The case catalogue: every conformance check as one row of data.
 *
 * docs/conformance.md carries this table (test_conform checks that they
 * agree); `remsim conform --list` prints it.  Severities of the per-frame
 * rules are those of protocol.md §13; the suite cases are requirements, so
 * ERROR. */
#include <string.h>

#include "remsim/conform.h"

#define CAP RS_ROLE_CAPTURE
#define TER RS_ROLE_TERMINAL
#define PLA RS_ROLE_PLATFORM
#define GB RS_PROF_GB17691
#define HJ RS_PROF_HJ1239
#define EV RS_PROF_GB32960
#define TP RS_PROF_TERMINAL
#define ALL RS_PROF_ALL
#define E RS_SEV_ERROR
#define W RS_SEV_WARN
#define I RS_SEV_INFO

static const rs_conf_case cases[RS_CASE_COUNT] = {
    /* per-frame rules (§13) */
    [RS_CASE_START] = { "3.1/start-bytes", "start bytes in the profile's set", "§3.1, §13", ALL, CAP | TER | PLA, E,
                        "hash_in_hj",
                        "Frames start with the profile's start bytes; ## on an HJ 1239 link is a WARN unless strict." },
    [RS_CASE_LENGTH] = { "3.1/length", "length field matches the frame", "§3.1, §13", ALL, CAP | TER | PLA, E, NULL,
                         "The data-unit length field equals the frame length minus 25 and is at most 65531." },
    [RS_CASE_BCC] = { "3.1/bcc", "BCC matches", "§3.1, §13", ALL, CAP | TER | PLA, E, NULL,
                      "The BCC is the XOR of every byte from the command to the last data-unit byte." },
    [RS_CASE_GARBAGE] = { "3.5/garbage", "no bytes outside frames", "§3.5", ALL, CAP | TER | PLA, E, NULL,
                          "Every byte of the stream (or line of a log) belongs to a frame." },
    [RS_CASE_COALESCED] = { "3.5/coalesced", "frames concatenated in one TCP read", "§3.5, §13", ALL, CAP | TER, I,
                            NULL, "Notes frames that arrived in one TCP segment with another frame (legal)." },
    [RS_CASE_ENCRYPTION] = { "3.4/encryption", "encryption byte", "§3.4", ALL, CAP | TER | PLA, W, "unknown_cmd",
                             "The encryption byte is in the profile's table; encrypted bodies are not decoded." },
    [RS_CASE_VIN] = { "2.4/vin", "VIN alphabet and check digit", "§2.4", ALL, CAP | TER, W, "vin_check",
                      "The header VIN has 17 characters of the GB 16735 alphabet and a valid check digit." },
    [RS_CASE_COMMAND] = { "4/unknown-command", "command id defined by the profile", "§4, §13", ALL,
                          CAP | TER | PLA, W, "unknown_cmd",
                          "The command id is one the profile defines (vendor ids 0x80+ are kept as bytes)." },
    [RS_CASE_TIME] = { "2.2/time-calendar", "time fields inside the calendar", "§2.2, §13", ALL, CAP | TER | PLA, W,
                       "time_check", "Every time field is YY MM DD hh mm ss in binary, each inside the calendar." },
    [RS_CASE_BODY] = { "7/body-length", "body as long as its type requires", "§6-§9, §13", ALL, CAP | TER | PLA, E,
                       NULL, "Each body, and each report item, has the length its command or info type defines." },
    [RS_CASE_INFO_TYPE] = { "7.3/info-type", "report info types known", "§7.3, §13", ALL, CAP | TER, W, "unknown_cmd",
                            "Report items use known info types; after a user-defined type the rest is not parsed." },
    [RS_CASE_RANGE] = { "2.3/raw-range", "raw values inside their range", "§2.3, §13", ALL, CAP | TER, W,
                        "range_check", "A raw value is at most its field's maximum or the all-ones invalid marker." },
    [RS_CASE_DTC] = { "7.10/dtc-count", "DTC count 0xFE has no list", "§7.10, §13", TP, CAP | TER, W, NULL,
                      "An OBD item with DTC count 0xFE (invalid) carries no DTC bytes after it." },
    [RS_CASE_TEXT] = { "2.4/text-fields", "ICCID, CALID, CVN printable", "§2.4, §13", ALL, CAP | TER, W,
                       "string_check", "ICCID, CALID, CVN and chip id are printable ASCII." },
    [RS_CASE_S6] = { "7.1/s6-layout", "standard GB 17691 report layout", "§7.1, §13", GB, CAP | TER, W, "s6_variant",
                     "Reports use time,{type,serial,body}; the S6 layout with 66-byte blocks is a WARN." },
    [RS_CASE_SIG_MISSING] = { "9.1/sig-missing", "HJ reports and activation signed", "§9.1, §13", HJ, CAP | TER, W,
                              "sig_missing",
                              "HJ 0x02, 0x03 and 0x07 end with an SM2 signature block (ERROR under --strict)." },
    [RS_CASE_SIG_VERIFY] = { "9.1/sig-verify", "signatures verify", "§9.1, §13", HJ, CAP | TER, E, NULL,
                             "Each signature verifies with the VIN's key, with the chip ID or the default ID." },
    [RS_CASE_SIG_UNEXPECTED] = { "9.1/sig-unexpected", "no signature on unsigned frames", "§9.1, §13", HJ, CAP | TER,
                                 W, "sig_missing", "Login, logout and tamper alarm (0x01, 0x04, 0x06) carry no signature." },
    /* per-VIN sequence rules */
    [RS_CASE_LOGIN_SERIAL] = { "6.1/login-serial", "login serial +1 per login", "§6.1, §10, §13", TP, CAP | TER, W,
                               NULL, "Within a GMT+8 day each login's serial is the previous login's + 1 (1..65531)." },
    [RS_CASE_SERIAL_RESET] = { "10/serial-daily-reset", "serials restart each day", "§10, §13", TP, CAP | TER, W,
                               NULL, "Login and report serials restart at 1 when the GMT+8 day changes." },
    [RS_CASE_LOGOUT_SERIAL] = { "6.2/logout-serial", "logout serial = login serial", "§6.2, §13", TP, CAP | TER, W,
                                NULL, "A logout carries the serial of its session's login." },
    [RS_CASE_SESSION] = { "6/session", "frames inside a login session", "§6, §10", TP, CAP | TER, W, NULL,
                          "Reports, tamper alarms and logouts come after a login on the same connection." },
    [RS_CASE_REPORT_SERIAL] = { "10/report-serial", "report serial +1 per packet", "§7.1, §7.2, §10", TP, CAP | TER,
                                W, NULL,
                                "Real-time serials rise by 1 per packet; a gap must be filled by reissued packets." },
    [RS_CASE_PACKET_INTERVAL] = { "10/packet-interval", "a packet at least every 10 s", "§10", TP, CAP | TER, W, NULL,
                                  "Within a session live packets of a VIN are at most 10 s apart (terminal time)." },
    [RS_CASE_TIME_ORDER] = { "10/time-order", "live packet time never goes back", "§2.2, §10", TP, CAP | TER, W,
                             NULL, "Each live packet's time is later than the previous live packet's of the VIN." },
    [RS_CASE_SAMPLE_STEP] = { "10/sample-step", "samples one second apart", "§7.2, §10", HJ, CAP | TER, W, NULL,
                              "The items of one HJ packet have collect times one second apart." },
    [RS_CASE_DUPLICATE] = { "10/duplicate-sample", "each sample reported once", "§10", ALL, CAP | TER, W, NULL,
                            "No collect second of a VIN is reported twice (live or reissued)." },
    [RS_CASE_TAMPER_SERIAL] = { "9.4/tamper-serial", "tamper alarm serial +1", "§9.4", HJ, CAP | TER, W, NULL,
                                "Tamper alarm serials rise by 1 within a GMT+8 day." },
    /* terminal suite */
    [RS_CASE_T_SAMPLING] = { "10/t-sampling-1hz", "samples at 1 Hz", "§10", TP, TER, E, NULL,
                             "Every second of the drive is sampled once: no second missing or doubled." },
    [RS_CASE_T_PACKET_PERIOD] = { "10/t-packet-period", "packets at least every 10 s", "§10", TP, TER, E, NULL,
                                  "While connected the terminal sends a real-time packet at least every 10 s." },
    [RS_CASE_T_SERIALS] = { "10/t-serials", "serials and their daily reset", "§6.1, §10", TP, TER, E, NULL,
                            "Login and report serials rise by 1 and restart at 1 when the harness clock crosses a GMT+8 day." },
    [RS_CASE_T_LOGIN_LOGOUT] = { "6/t-login-logout", "login and logout pairing", "§6", TP, TER, E, NULL,
                                 "Each ignition cycle gives one login first and one logout with the login's serial last." },
    [RS_CASE_T_REISSUE] = { "10/t-reissue", "reissue after an outage", "§10", TP, TER, E, NULL,
                            "After an outage the harness causes, every sample of it arrives as 0x03 with its collect time." },
    [RS_CASE_T_SIGNATURE] = { "9.1/t-signature", "terminal signatures verify", "§9.1", HJ, TER, E, NULL,
                              "Every 0x02, 0x03 and 0x07 of the terminal verifies with its registered key." },
    [RS_CASE_T_ACTIVATION] = { "9.2/t-activation", "activation sent and retried", "§9.2, §9.3", HJ, TER, E, NULL,
                               "The terminal sends a signed 0x07 and retries until it gets a 0x08 answer." },
    [RS_CASE_T_VALUES] = { "7.4/t-value-fidelity", "reported values match the vehicle", "§7.4-§7.9", TP, TER, E,
                           NULL, "Each value equals what the scenario put on CAN, within resolution and sampling delay." },
    [RS_CASE_T_TIMECAL] = { "8/t-timecal", "time calibration applied", "§8", TP, TER, E, NULL,
                            "The terminal asks for the time and its later frames carry the answered time (within 1 s)." },
    /* platform suite */
    [RS_CASE_P_LOGIN] = { "6.1/p-login", "platform accepts a login", "§6.1, §5", TP, PLA, E, NULL,
                          "A valid login keeps the connection open (and is echoed where the profile answers)." },
    [RS_CASE_P_REPORTS] = { "7/p-reports", "platform accepts real-time reports", "§7", TP, PLA, E, NULL,
                            "Valid real-time reports are taken without closing or an error answer." },
    [RS_CASE_P_REISSUE] = { "10/p-reissue", "platform accepts reissue", "§7, §10", TP, PLA, E, NULL,
                            "Reissue reports (0x03) with old collect times are taken like real-time ones." },
    [RS_CASE_P_STORED] = { "7/p-stored", "platform stores every valid frame", "§7, §12", TP, PLA, E, NULL,
                           "The oracle shows every sample of every valid report stored once." },
    [RS_CASE_P_ANSWER_CMD] = { "5/p-answer-command", "answers carry the request's command", "§5", TP, PLA, E, NULL,
                               "An answer has the command id and VIN of the frame it answers." },
    [RS_CASE_P_TIMECAL_ANSWER] = { "8/p-timecal-answer", "time calibration answered in time", "§8", TP, PLA, E, NULL,
                                   "A 0x05 request is answered with a 6-byte time within --timecal-limit (default 1 s)." },
    [RS_CASE_P_TIMECAL_TRUE] = { "8/p-timecal-accuracy", "answered time is true", "§8", TP, PLA, E, NULL,
                                 "The time in the 0x05 answer is within 1 s of true GMT+8 time." },
    [RS_CASE_P_ACTIVATION] = { "9.3/p-activation-answer", "activation answered", "§9.3", HJ, PLA, E, NULL,
                               "A 0x07 is answered with 0x08 and a defined status/info pair." },
    [RS_CASE_P_PLAT_LOGIN] = { "12.3/p-platform-login", "platform login for forwarding", "§11.1, §12.3", ALL, PLA, E,
                               NULL, "A GB/T 32960-shaped platform login is answered with success (profile: unverified)." },
    [RS_CASE_P_KEEPS_CONN] = { "6/p-keeps-connection", "valid frames keep the connection", "§6, §10", TP, PLA, E,
                               NULL, "The platform does not close a connection that carries only valid frames." },
    [RS_CASE_P_BAD_BCC] = { "3.1/p-bad-bcc", "bad BCC rejected, next frame taken", "§3.1, §3.5", ALL, PLA, E, NULL,
                            "A frame with a wrong BCC is not stored, and the next valid frame on the link is." },
    [RS_CASE_P_BAD_LENGTH] = { "3.1/p-bad-length", "wrong length rejected, next frame taken", "§3.1, §3.5", ALL, PLA,
                               E, NULL, "A frame whose length field is wrong is not stored; the link recovers." },
    [RS_CASE_P_SPLIT] = { "3.5/p-split-frames", "frames split across segments", "§3.5", ALL, PLA, E, NULL,
                          "Frames split over several TCP segments (down to one byte each) are taken." },
    [RS_CASE_P_COALESCED] = { "3.5/p-coalesced-frames", "frames coalesced in one segment", "§3.5", ALL, PLA, E, NULL,
                              "Several frames in one TCP segment are all taken." },
    [RS_CASE_P_UNKNOWN_CMD] = { "4/p-unknown-command", "unknown command does not break the link", "§4", ALL, PLA, E,
                                NULL, "A frame with an undefined command id does not end the session; later frames are taken." },
    [RS_CASE_P_GARBAGE] = { "3.5/p-garbage", "garbage between frames skipped", "§3.5", ALL, PLA, E, NULL,
                            "Bytes that are no frame are skipped and the next valid frame is taken." },
    [RS_CASE_P_SLOW_SENDER] = { "3.5/p-slow-sender", "slow senders served", "§3.5, §10", ALL, PLA, E, NULL,
                                "A frame trickled byte by byte over seconds is taken." },
    [RS_CASE_P_RECONNECT] = { "10/p-reconnect-storm", "reconnect storms survived", "§10", ALL, PLA, E, NULL,
                              "After many quick connects and closes the platform still takes logins and reports." },
    [RS_CASE_P_GOOD_SERVED] = { "10/p-keeps-serving", "good terminals served meanwhile", "§10", ALL, PLA, E, NULL,
                                "Well-behaved terminals keep being served (stored, answered in time) while others misbehave." },
};

const rs_conf_case *rs_conf_catalogue(void) { return cases; }

const rs_conf_case *rs_conf_case_get(rs_case_id id)
{
    return (unsigned)id < RS_CASE_COUNT ? &cases[id] : NULL;
}

int rs_conf_case_find(const char *id)
{
    for (int i = 0; i < RS_CASE_COUNT; i++)
        if (!strcmp(cases[i].id, id))
            return i;
    return -1;
}

static const char *const role_names[] = { "capture", "terminal", "platform" };

const char *rs_conf_role_name(unsigned role_bit)
{
    for (unsigned i = 0; i < 3; i++)
        if (role_bit == 1u << i)
            return role_names[i];
    return "unknown";
}

bool rs_conf_role_parse(const char *name, unsigned *role_bit)
{
    for (unsigned i = 0; i < 3; i++)
        if (!strcmp(name, role_names[i])) {
            *role_bit = 1u << i;
            return true;
        }
    return false;
}

static void join(char *buf, size_t cap, unsigned mask, unsigned n, const char *(*name)(unsigned))
{
    size_t len = 0;
    buf[0] = 0;
    for (unsigned i = 0; i < n; i++) {
        if (!(mask & (1u << i)))
            continue;
        int k = snprintf(buf + len, cap - len, "%s%s", len ? "," : "", name(i));
        if (k < 0 || (size_t)k >= cap - len)
            return;
        len += (size_t)k;
    }
}

static const char *role_by_index(unsigned i) { return role_names[i]; }
static const char *proto_by_index(unsigned i) { return rs_proto_name((rs_proto)i); }

void rs_conf_roles_text(unsigned roles, char *buf, size_t cap) { join(buf, cap, roles, 3, role_by_index); }

void rs_conf_profiles_text(unsigned profiles, char *buf, size_t cap)
{
    join(buf, cap, profiles, RS_PROTO_COUNT, proto_by_index);
}

bool rs_conf_case_applies(const rs_conf_case *c, unsigned role_bit, rs_proto proto)
{
    return (c->roles & role_bit) && (c->profiles & (1u << proto));
}

static bool selected(const rs_conf_case *c, unsigned role_mask, unsigned prof_mask)
{
    return (!role_mask || (c->roles & role_mask)) && (!prof_mask || (c->profiles & prof_mask));
}

void rs_conf_catalogue_json(rs_json *j, unsigned role_mask, unsigned prof_mask)
{
    rs_json_arr_begin(j);
    for (unsigned i = 0; i < RS_CASE_COUNT; i++) {
        const rs_conf_case *c = &cases[i];
        if (!selected(c, role_mask, prof_mask))
            continue;
        rs_json_obj_begin(j);
        rs_json_kstr(j, "id", c->id);
        rs_json_kstr(j, "title", c->title);
        rs_json_kstr(j, "clause", c->clause);
        rs_json_key(j, "profiles");
        rs_json_arr_begin(j);
        for (unsigned k = 0; k < RS_PROTO_COUNT; k++)
            if (c->profiles & (1u << k))
                rs_json_str(j, rs_proto_name((rs_proto)k));
        rs_json_arr_end(j);
        rs_json_key(j, "roles");
        rs_json_arr_begin(j);
        for (unsigned k = 0; k < 3; k++)
            if (c->roles & (1u << k))
                rs_json_str(j, role_names[k]);
        rs_json_arr_end(j);
        rs_json_kstr(j, "severity", rs_severity_name(c->severity));
        rs_json_kstr(j, "tolerance", c->tolerance);
        rs_json_kstr(j, "checks", c->checks);
        rs_json_obj_end(j);
    }
    rs_json_arr_end(j);
}

/* Markdown cells: a '|' would split the cell. */
static void md_cell(FILE *out, const char *s)
{
    fputs(" ", out);
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else
            fputc(*s, out);
    }
    fputs(" |", out);
}

void rs_conf_catalogue_markdown(FILE *out, unsigned role_mask, unsigned prof_mask)
{
    fputs("| id | title | clause | profiles | roles | severity | tolerance | checks |\n", out);
    fputs("|---|---|---|---|---|---|---|---|\n", out);
    for (unsigned i = 0; i < RS_CASE_COUNT; i++) {
        const rs_conf_case *c = &cases[i];
        if (!selected(c, role_mask, prof_mask))
            continue;
        char roles[64], profs[64], id[64];
        rs_conf_roles_text(c->roles, roles, sizeof roles);
        rs_conf_profiles_text(c->profiles, profs, sizeof profs);
        snprintf(id, sizeof id, "`%s`", c->id);
        fputs("|", out);
        md_cell(out, id);
        md_cell(out, c->title);
        md_cell(out, c->clause);
        md_cell(out, c->profiles == RS_PROF_ALL ? "all" : profs);
        md_cell(out, roles);
        md_cell(out, rs_severity_name(c->severity));
        md_cell(out, c->tolerance ? c->tolerance : "-");
        md_cell(out, c->checks);
        fputs("\n", out);
    }
}
