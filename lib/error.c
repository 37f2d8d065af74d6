/* Error values and their sentences. */
#include "remsim/error.h"

#include <stdio.h>

static const char *const code_names[RS_E_COUNT] = {
    [RS_OK] = "ok",
    [RS_E_SHORT] = "short",
    [RS_E_START] = "start",
    [RS_E_HEADER] = "header",
    [RS_E_LENGTH] = "length",
    [RS_E_BCC] = "bcc",
    [RS_E_COMMAND] = "command",
    [RS_E_BODY] = "body",
    [RS_E_INFO_TYPE] = "info_type",
    [RS_E_TIME] = "time",
    [RS_E_VIN] = "vin",
    [RS_E_STRING] = "string",
    [RS_E_RANGE] = "range",
    [RS_E_SIGNATURE] = "signature",
    [RS_E_ENCRYPTED] = "encrypted",
    [RS_E_VARIANT] = "variant",
    [RS_E_SPACE] = "space",
    [RS_E_LIMIT] = "limit",
    [RS_E_VALUE] = "value",
    [RS_E_SERIAL] = "serial",
    [RS_E_OPTION] = "option",
    [RS_E_IO] = "io",
    [RS_E_SYNTAX] = "syntax",
};

/* What each code means, as the head of the sentence. */
static const char *const code_titles[RS_E_COUNT] = {
    [RS_OK] = "no error",
    [RS_E_SHORT] = "input ends too early",
    [RS_E_START] = "bad start bytes",
    [RS_E_HEADER] = "bad header field",
    [RS_E_LENGTH] = "bad length",
    [RS_E_BCC] = "BCC mismatch",
    [RS_E_COMMAND] = "unknown command",
    [RS_E_BODY] = "bad body length",
    [RS_E_INFO_TYPE] = "bad info type",
    [RS_E_TIME] = "time outside the calendar",
    [RS_E_VIN] = "bad VIN",
    [RS_E_STRING] = "bad string",
    [RS_E_RANGE] = "value out of range",
    [RS_E_SIGNATURE] = "signature block problem",
    [RS_E_ENCRYPTED] = "encrypted body not decoded",
    [RS_E_VARIANT] = "deviating layout",
    [RS_E_SPACE] = "output buffer too small",
    [RS_E_LIMIT] = "too many items",
    [RS_E_VALUE] = "value cannot be encoded",
    [RS_E_SERIAL] = "serial number rule",
    [RS_E_OPTION] = "bad option",
    [RS_E_IO] = "I/O error",
    [RS_E_SYNTAX] = "syntax error",
};

rs_code rs_fail(rs_err *e, rs_code code, size_t offset, const char *field,
                const char *rule, long long got, long long want, int numbers)
{
    if (e) {
        e->code = code;
        e->severity = RS_SEV_ERROR;
        e->numbers = (uint8_t)numbers;
        e->offset = (uint32_t)offset;
        e->field = field;
        e->rule = rule;
        e->got = got;
        e->want = want;
    }
    return code;
}

const char *rs_code_name(rs_code code)
{
    return (code >= 0 && code < RS_E_COUNT && code_names[code]) ? code_names[code] : "unknown";
}

const char *rs_severity_name(rs_severity sev)
{
    switch (sev) {
    case RS_SEV_ERROR: return "error";
    case RS_SEV_WARN: return "warning";
    case RS_SEV_INFO: return "info";
    }
    return "unknown";
}

int rs_err_format(const rs_err *e, char *buf, size_t cap)
{
    const char *title = (e->code >= 0 && e->code < RS_E_COUNT) ? code_titles[e->code] : "error";
    char nums[96] = "";
    switch (e->numbers) {
    case RS_NUM_DEC:
        snprintf(nums, sizeof nums, ": found %lld, expected %lld", e->got, e->want);
        break;
    case RS_NUM_HEX:
        snprintf(nums, sizeof nums, ": found 0x%02llX, expected 0x%02llX", e->got, e->want);
        break;
    case RS_NUM_GOT_ONLY:
        snprintf(nums, sizeof nums, ": found %lld", e->got);
        break;
    case RS_NUM_CHAR: {
        char g[16], w[16];
        snprintf(g, sizeof g, e->got >= 0x20 && e->got < 0x7F ? "'%c'" : "0x%02X", (int)e->got);
        snprintf(w, sizeof w, e->want >= 0x20 && e->want < 0x7F ? "'%c'" : "0x%02X", (int)e->want);
        if (e->want)
            snprintf(nums, sizeof nums, ": found %s, expected %s", g, w);
        else
            snprintf(nums, sizeof nums, ": found %s", g);
        break;
    }
    case RS_NUM_HEX_GOT_ONLY:
        snprintf(nums, sizeof nums, ": found 0x%02llX", e->got);
        break;
    default:
        break;
    }
    return snprintf(buf, cap, "%s at byte %u (%s)%s; rule: %s", title, (unsigned)e->offset,
                    e->field ? e->field : "-", nums, e->rule ? e->rule : "-");
}
