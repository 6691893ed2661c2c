/*
 * sign.c - Ed25519 (RFC 8032) and HMAC-SHA256 over canonical bytes.
 */
#include <string.h>

#include <sodium.h>

#include "encode.h"
#include "sign.h"
#include "util.h"

size_t
sign_len(enum key_alg alg)
{
	switch (alg) {
	case ALG_ED25519: return crypto_sign_BYTES;
	case ALG_HMAC: return crypto_auth_hmacsha256_BYTES;
	default: return 0;
	}
}

void
sign_text(const struct key *k, const uint8_t *msg, size_t n, char *out)
{
	unsigned char sig[SIGN_MAX_BYTES];
	size_t len = sign_len(k->alg);

	if (k->alg == ALG_ED25519) {
		crypto_sign_detached(sig, NULL, msg, n, k->secret);
	} else {
		crypto_auth_hmacsha256_state st;

		crypto_auth_hmacsha256_init(&st, k->secret, k->secret_len);
		crypto_auth_hmacsha256_update(&st, msg, n);
		crypto_auth_hmacsha256_final(&st, sig);
		sodium_memzero(&st, sizeof(st));
	}
	b64url_encode_public(sig, len, out);
}

int
sign_verify_ed25519(const unsigned char pk[32], const uint8_t *msg, size_t n,
    const uint8_t *sig, size_t siglen)
{
	if (siglen != crypto_sign_BYTES)
		return 0;
	return crypto_sign_verify_detached(sig, msg, n, pk) == 0;
}

int
sign_verify_hmac(const unsigned char *key, size_t keylen, const uint8_t *msg,
    size_t n, const uint8_t *sig, size_t siglen)
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	int ok;

	if (siglen != sizeof(mac))
		return 0;
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, msg, n);
	crypto_auth_hmacsha256_final(&st, mac);
	/* constant time: a timing side channel would leak the expected tag */
	ok = sodium_memcmp(mac, sig, sizeof(mac)) == 0;
	sodium_memzero(&st, sizeof(st));
	return ok;
}
