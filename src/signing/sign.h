/*
 * sign.h - signatures over canonical event bytes (SPEC section 6).
 */
#ifndef SIGN_H
#define SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"

#define SIGN_MAX_BYTES 64
#define SIGN_MAX_TEXT 87        /* base64url of 64 bytes, no padding */

/* Signature length in bytes for alg (0 for off). */
size_t sign_len(enum key_alg alg);

/* Sign msg; writes base64url text of the signature (NUL-terminated) to out
 * (SIGN_MAX_TEXT + 1 bytes). */
void sign_text(const struct key *k, const uint8_t *msg, size_t n, char *out);

/* Verify a raw signature: Ed25519 against pk[32], HMAC against key bytes.
 * Returns 1 when it verifies. Constant time where it matters. */
int sign_verify_ed25519(const unsigned char pk[32], const uint8_t *msg,
    size_t n, const uint8_t *sig, size_t siglen);
int sign_verify_hmac(const unsigned char *key, size_t keylen,
    const uint8_t *msg, size_t n, const uint8_t *sig, size_t siglen);


#endif
