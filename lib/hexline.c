/* Frames from text lines (hexline.h). */
#include "remsim/hexline.h"

#include <stdbool.h>

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool is_byte_pair(const char *t, size_t n)
{
    return n == 2 && hex_value(t[0]) >= 0 && hex_value(t[1]) >= 0;
}

/* The comment, when there is one, starts at a token beginning with '#';
 * a '#' inside a token (a peer name, say) is text. */
static size_t content_end(const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (line[i] == '#' && (i == 0 || is_space(line[i - 1])))
            return i;
    return len;
}

/* Spaced hex: every token a byte pair.  Already checked, so only decodes. */
static rs_code read_pairs(const char *line, size_t end, uint8_t *out, size_t cap, size_t count,
                          rs_hexline *res, rs_err *err)
{
    if (count > cap)
        return rs_fail(err, RS_E_LENGTH, 0, "hex", "frame fits the frame buffer (§3.1 length limit)",
                       (long long)count, (long long)cap, RS_NUM_DEC);
    size_t n = 0;
    bool first = true;
    for (size_t i = 0; i < end; i++) {
        if (is_space(line[i]))
            continue;
        if (first)
            res->col = i;
        first = false;
        out[n++] = (uint8_t)(hex_value(line[i]) << 4 | hex_value(line[i + 1]));
        i++;
    }
    res->n = n;
    return RS_OK;
}

rs_code rs_hexline_parse(const char *line, size_t len, uint8_t *out, size_t cap,
                         rs_hexline *res, rs_err *err)
{
    size_t end = content_end(line, len);
    size_t count = 0, last = 0, last_len = 0;
    bool all_pairs = true;

    res->n = 0;
    res->col = 0;
    for (size_t i = 0; i < end;) {
        if (is_space(line[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < end && !is_space(line[i]))
            i++;
        count++;
        last = start;
        last_len = i - start;
        all_pairs = all_pairs && is_byte_pair(line + start, last_len);
    }
    if (count == 0)
        return RS_OK;                   /* blank or comment: nothing to decode */
    if (count > 1 && all_pairs)
        return read_pairs(line, end, out, cap, count, res, err);

    const char *t = line + last;
    for (size_t i = 0; i < last_len; i++)
        if (hex_value(t[i]) < 0)
            return rs_fail(err, RS_E_SYNTAX, last + i, "hex",
                           "the last column is the frame: hex digits 0-9 A-F a-f only",
                           (unsigned char)t[i], 0, RS_NUM_GOT_ONLY);
    if (last_len % 2 != 0)
        return rs_fail(err, RS_E_SYNTAX, last, "hex", "two hex digits per byte (an even count)",
                       (long long)last_len, 0, RS_NUM_GOT_ONLY);
    if (last_len / 2 > cap)
        return rs_fail(err, RS_E_LENGTH, last, "hex", "frame fits the frame buffer (§3.1 length limit)",
                       (long long)(last_len / 2), (long long)cap, RS_NUM_DEC);
    for (size_t i = 0; i < last_len; i += 2)
        out[i / 2] = (uint8_t)(hex_value(t[i]) << 4 | hex_value(t[i + 1]));
    res->n = last_len / 2;
    res->col = last;
    return RS_OK;
}
