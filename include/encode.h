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

/* Decode base64url (or standard base64), tolerating '=' padding and
 * surrounding whitespace. Returns decoded length or -1. */
long b64url_decode(const char *in, size_t n, uint8_t *out, size_t cap);

/* Lowercase hex of n bytes into out (2n + 1). */
void hex_encode(const uint8_t *in, size_t n, char *out);

#endif
