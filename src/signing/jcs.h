/*
 * jcs.h - RFC 8785 (JSON Canonicalization Scheme) writer.
 *
 * Canonical form: no whitespace; object members sorted by the UTF-16 code
 * units of their names; strings with minimal escaping (\" \\ \b \f \n \r \t,
 * other controls as lowercase \u00xx, everything else raw UTF-8); numbers
 * here are integers only, within +-(2^53-1) (SPEC section 5 forbids floats).
 */
#ifndef JCS_H
#define JCS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "util.h"

#define JCS_MAX_SAFE_INT 9007199254740991LL     /* 2^53 - 1 */

/* 1 when x may be written as a JSON number: within +-(2^53-1). */
int jcs_int_safe(long long x);

/* A JSON integer, or a decimal string past 2^53-1 (SPEC section 5). */
json_t *jcs_u64(uint64_t v);

/* The inverse of jcs_u64: a JSON integer >= 0, or a decimal string, into
 * *v. 0, or -1 when m is neither (or out of range). */
int jcs_get_u64(const json_t *m, uint64_t *v);

/* Make a parsed JSON value obey the stream's rules, in place: floats and
 * integers beyond +-(2^53-1) become decimal strings (floats in their
 * shortest round-trip form). */
void jcs_make_safe(json_t *v);

/* Copy JSON text in[0, n) to out with every integer literal beyond
 * +-(2^53-1) put in quotes, so a parser keeps it exact, as a decimal
 * string (u64 counters past 2^63-1 would otherwise fail to parse). Strings
 * are left as they are. 0, or -1 past out's ceiling. */
int jcs_quote_big_ints(const char *in, size_t n, struct buf *out);

/* Append s (n bytes of valid UTF-8) as a canonical JSON string. */
int jcs_string(struct buf *b, const char *s, size_t n);

/* Append v in canonical form. Returns 0, or -1 for a float, an integer out
 * of the safe range, invalid UTF-8, or the buffer ceiling. */
int jcs_value(struct buf *b, const json_t *v);

/* Compare two UTF-8 names by UTF-16 code units (RFC 8785 3.2.3). */
int jcs_key_cmp(const char *a, size_t an, const char *b, size_t bn);

#endif
