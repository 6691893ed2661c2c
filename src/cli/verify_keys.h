/*
 * verify_keys.h - the keys verify trusts, and each stream's key ring:
 * the trusted keys plus what the stream's own verified lines introduced
 * (SPEC sections 15 and 16).
 *
 * A ring looks a key up by the line's sigkid. An Ed25519 kid must be
 * known (its default kid from --public-key, any kid from --keys-json, or
 * one announced by a verified key_rotated line). An HMAC line whose kid
 * is unknown is tried against every trusted HMAC key (a custom --key-id
 * names the key, not a hash of it): the key that verifies it is bound to
 * that kid for the rest of the stream.
 */
#ifndef VERIFY_KEYS_H
#define VERIFY_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"

#define VERIFY_MAX_KEYS 64
#define VERIFY_RING_EXTRA 16    /* kids a stream may introduce */

struct verify_key {
	char kid[KEY_KID_MAX];
	enum key_alg alg;
	unsigned char pk[32];           /* Ed25519 */
	const struct key *hmac;         /* HMAC: borrowed */
};

/* The keys given on the command line; read-only once verification runs. */
struct verify_keys {
	struct verify_key keys[VERIFY_MAX_KEYS];
	size_t n;
};

struct verify_ring {
	const struct verify_keys *trusted;
	struct verify_key *extra;       /* VERIFY_RING_EXTRA once needed */
	size_t nextra;
	/* how each extra key came in: 'r' rotation, 'h' HMAC kid bound */
	char how[VERIFY_RING_EXTRA];
};

/* Register keys; 0, or -1 when the table is full. */
int verify_keys_add_ed25519(struct verify_keys *ks, const char *kid,
    const unsigned char pk[32]);
int verify_keys_add_hmac(struct verify_keys *ks, const struct key *k);

/* Add every key of a {"kid": "base64url public key"} file. 0, or an exit
 * code with err set. */
int verify_keys_add_json(struct verify_keys *ks, const char *path,
    char *err, size_t errlen);

/* A digest of the key set (kids, algorithms, public keys, and for HMAC a
 * keyed hash, never the secret): a state file names the keys it was
 * written with. out: 32 bytes. */
void verify_keys_digest(const struct verify_keys *ks, unsigned char out[32]);

void verify_ring_init(struct verify_ring *r, const struct verify_keys *ks);
void verify_ring_free(struct verify_ring *r);

/*
 * Check sig over msg[0, n) with the key named kid, whose algorithm must be
 * alg. Returns 1 when it verifies; 0 for a bad signature; -1 when no key
 * has that kid (or, for HMAC, none verifies it); -2 when the kid's key is
 * of another algorithm. why names the problem for 0, -1, -2.
 */
int verify_ring_check(struct verify_ring *r, const char *kid, const char *alg,
    const uint8_t *msg, size_t n, const uint8_t *sig, size_t siglen,
    char *why, size_t whylen);

/* The expected raw signature length of alg's name, 0 when unknown. */
size_t verify_sig_len(const char *alg);

/*
 * A verified key_rotated line announced new_kid: Ed25519 with the public
 * key text (exactly 43 base64url characters), or HMAC (the key must have
 * been given: the rotation only names the kid, found by trying the
 * trusted HMAC keys at its first line). 0, or -1 with why set.
 */
int verify_ring_rotate(struct verify_ring *r, const char *new_kid,
    const char *new_alg, const char *new_pk, char *why, size_t whylen);

/* Strict base64url: exactly the text of want bytes (no padding, no
 * whitespace, zero leftover bits). 0 and out filled, or -1. */
int verify_b64_exact(const char *s, size_t n, uint8_t *out, size_t want);

#endif
