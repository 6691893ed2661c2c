/*
 * encode.h - base64url and hex text of binary values (keys, signatures, ids).
 */
#ifndef ENCODE_H
#define ENCODE_H

#include <stddef.h>
#include <stdint.h>

/* base64url without padding. out needs b64url_len(n) + 1 bytes. */
size_t b64url_len(size_t n);
void b64url_encode(const uint8_t *in, size_t n, char *out);
/* The same text, table-driven: for public values only (chains,
 * signatures) on the hot path; key material goes through b64url_encode,
 * which runs in constant time. */
void b64url_encode_public(const uint8_t *in, size_t n, char *out);

/* Decode base64url (URL-safe alphabet only; surrounding whitespace and
 * correct '=' padding tolerated; leftover bits must be zero, so one value
 * has one text). Returns the decoded length, or -1 for anything else,
 * including output longer than cap. Constant time in the bytes. */
long b64url_decode(const char *in, size_t n, uint8_t *out, size_t cap);

/* Lowercase hex of n bytes into out (2n + 1). */
void hex_encode(const uint8_t *in, size_t n, char *out);

#endif
