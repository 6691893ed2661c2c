/*
 * verify_keys.c - trusted keys and per-stream key rings (see
 * verify_keys.h).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "encode.h"
#include "sign.h"
#include "util.h"
#include "verify_keys.h"

int
verify_keys_add_ed25519(struct verify_keys *ks, const char *kid,
    const unsigned char pk[32])
{
	struct verify_key *k;

	if (ks->n == VERIFY_MAX_KEYS)
		return -1;
	k = &ks->keys[ks->n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->kid, sizeof(k->kid), "%s", kid);
	k->alg = ALG_ED25519;
	memcpy(k->pk, pk, 32);
	return 0;
}

int
verify_keys_add_hmac(struct verify_keys *ks, const struct key *hk)
{
	struct verify_key *k;

	if (ks->n == VERIFY_MAX_KEYS)
		return -1;
	k = &ks->keys[ks->n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->kid, sizeof(k->kid), "%s", hk->kid);
	k->alg = ALG_HMAC;
	k->hmac = hk;
	return 0;
}

int
verify_keys_add_json(struct verify_keys *ks, const char *path, char *err,
    size_t errlen)
{
	json_error_t je;
	json_t *o = json_load_file(path, 0, &je), *val;
	const char *kid;
	char why[200];
	unsigned char pk[32];
	int rc = 0;

	if (o == NULL || !json_is_object(o)) {
		snprintf(err, errlen, "--keys-json %s: expected {\"kid\": "
		    "\"base64url public key\"}: %s", path,
		    o ? "not an object" : je.text);
		json_decref(o);
		return o == NULL && je.line == -1 ? EXIT_NOINPUT : EXIT_CONFIG;
	}
	json_object_foreach(o, kid, val) {
		if (!json_is_string(val)) {
			snprintf(err, errlen, "%s: key %.80s is not a string",
			    path, kid);
			rc = EXIT_CONFIG;
		} else if (kid[0] == '\0' || strlen(kid) >= KEY_KID_MAX) {
			snprintf(err, errlen, "%s: a key id is empty or longer "
			    "than %d bytes", path, KEY_KID_MAX - 1);
			rc = EXIT_CONFIG;
		} else if (keys_parse_public(json_string_value(val),
		    json_string_length(val), pk, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "%s: key %.80s: %s", path, kid, why);
			rc = EXIT_CONFIG;
		} else if (verify_keys_add_ed25519(ks, kid, pk) != 0) {
			snprintf(err, errlen, "too many keys (at most %d)",
			    VERIFY_MAX_KEYS);
			rc = EXIT_USAGE;
		}
		if (rc != 0)
			break;
	}
	json_decref(o);
	return rc;
}

static int
kid_cmp(const void *a, const void *b)
{
	return strcmp(((const struct verify_key *)a)->kid,
	    ((const struct verify_key *)b)->kid);
}

void
verify_keys_digest(const struct verify_keys *ks, unsigned char out[32])
{
	static const char label[] = "cellos-telemetry verify state keys";
	struct verify_key sorted[VERIFY_MAX_KEYS];
	crypto_generichash_state h;
	unsigned char tag[crypto_auth_hmacsha256_BYTES];
	size_t i;

	/* the order of the flags does not matter, the set does */
	memcpy(sorted, ks->keys, ks->n * sizeof(sorted[0]));
	qsort(sorted, ks->n, sizeof(sorted[0]), kid_cmp);
	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, (const unsigned char *)label,
	    sizeof(label));
	for (i = 0; i < ks->n; i++) {
		const struct verify_key *k = &sorted[i];

		crypto_generichash_update(&h, (const unsigned char *)k->kid,
		    strlen(k->kid) + 1);
		crypto_generichash_update(&h, (const unsigned char *)
		    keys_alg_name(k->alg), strlen(keys_alg_name(k->alg)) + 1);
		if (k->alg == ALG_ED25519) {
			crypto_generichash_update(&h, k->pk, 32);
		} else {
			/* a keyed hash: the state file never holds a hash of
			 * the bare secret */
			crypto_auth_hmacsha256_state st;

			crypto_auth_hmacsha256_init(&st, k->hmac->secret,
			    k->hmac->secret_len);
			crypto_auth_hmacsha256_update(&st,
			    (const unsigned char *)label, sizeof(label));
			crypto_auth_hmacsha256_final(&st, tag);
			crypto_generichash_update(&h, tag, sizeof(tag));
		}
	}
	crypto_generichash_final(&h, out, 32);
}

void
verify_ring_init(struct verify_ring *r, const struct verify_keys *ks)
{
	memset(r, 0, sizeof(*r));
	r->trusted = ks;
}

void
verify_ring_free(struct verify_ring *r)
{
	if (r->extra != NULL)
		sodium_memzero(r->extra, VERIFY_RING_EXTRA * sizeof(*r->extra));
	free(r->extra);
	r->extra = NULL;
	r->nextra = 0;
}

static const struct verify_key *
ring_find(const struct verify_ring *r, const char *kid)
{
	size_t i;

	for (i = 0; i < r->trusted->n; i++)
		if (strcmp(r->trusted->keys[i].kid, kid) == 0)
			return &r->trusted->keys[i];
	for (i = 0; i < r->nextra; i++)
		if (strcmp(r->extra[i].kid, kid) == 0)
			return &r->extra[i];
	return NULL;
}

size_t
verify_sig_len(const char *alg)
{
	if (strcmp(alg, "ed25519") == 0)
		return crypto_sign_BYTES;
	if (strcmp(alg, "hmac-sha256") == 0)
		return crypto_auth_hmacsha256_BYTES;
	return 0;
}

static int
key_verifies(const struct verify_key *k, const uint8_t *msg, size_t n,
    const uint8_t *sig, size_t siglen)
{
	return k->alg == ALG_ED25519 ?
	    sign_verify_ed25519(k->pk, msg, n, sig, siglen) :
	    sign_verify_hmac(k->hmac->secret, k->hmac->secret_len, msg, n, sig,
	    siglen);
}

static struct verify_key *
ring_extra(struct verify_ring *r, const char *kid, char how)
{
	struct verify_key *k;

	if (r->nextra == VERIFY_RING_EXTRA)
		return NULL;
	if (r->extra == NULL)
		r->extra = xmalloc(VERIFY_RING_EXTRA * sizeof(*r->extra));
	r->how[r->nextra] = how;
	k = &r->extra[r->nextra++];
	memset(k, 0, sizeof(*k));
	snprintf(k->kid, sizeof(k->kid), "%s", kid);
	return k;
}

int
verify_ring_check(struct verify_ring *r, const char *kid, const char *alg,
    const uint8_t *msg, size_t n, const uint8_t *sig, size_t siglen,
    char *why, size_t whylen)
{
	const struct verify_key *k = ring_find(r, kid);
	size_t i;

	if (k == NULL && strcmp(alg, "hmac-sha256") == 0) {
		/* a custom HMAC kid: the secret is what is trusted */
		for (i = 0; i < r->trusted->n; i++) {
			const struct verify_key *t = &r->trusted->keys[i];
			struct verify_key *x;

			if (t->alg != ALG_HMAC || !key_verifies(t, msg, n, sig,
			    siglen))
				continue;
			if ((x = ring_extra(r, kid, 'h')) != NULL) {
				x->alg = ALG_HMAC;
				x->hmac = t->hmac;
			}
			return 1;
		}
		snprintf(why, whylen, "unknown key id %.80s (no --hmac-key "
		    "verifies it)", kid);
		return -1;
	}
	if (k == NULL) {
		snprintf(why, whylen, "unknown key id %.80s", kid);
		return -1;
	}
	if (strcmp(alg, keys_alg_name(k->alg)) != 0) {
		snprintf(why, whylen, "sigalg %.20s does not match key %.80s",
		    alg, kid);
		return -2;
	}
	if (!key_verifies(k, msg, n, sig, siglen)) {
		snprintf(why, whylen, "bad signature");
		return 0;
	}
	return 1;
}

int
verify_b64_exact(const char *s, size_t n, uint8_t *out, size_t want)
{
	uint8_t tmp[SIGN_MAX_BYTES + 4];
	size_t i;

	if (want > SIGN_MAX_BYTES || n != b64url_len(want))
		return -1;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return -1;
	}
	/* the decoder refuses non-zero leftover bits: one value, one text */
	if (b64url_decode(s, n, tmp, sizeof(tmp)) != (long)want)
		return -1;
	memcpy(out, tmp, want);
	return 0;
}

int
verify_ring_rotate(struct verify_ring *r, const char *new_kid,
    const char *new_alg, const char *new_pk, char *why, size_t whylen)
{
	const struct verify_key *have = ring_find(r, new_kid);
	struct verify_key *k;
	unsigned char pk[32];

	if (new_kid[0] == '\0' || strlen(new_kid) >= KEY_KID_MAX) {
		snprintf(why, whylen, "key_rotated: new_kid is empty or too long");
		return -1;
	}
	if (strcmp(new_alg, "hmac-sha256") == 0) {
		if (new_pk != NULL) {
			snprintf(why, whylen, "key_rotated: an HMAC key has no "
			    "public key to announce");
			return -1;
		}
		/* found among the trusted HMAC keys at its first line */
		return 0;
	}
	if (strcmp(new_alg, "ed25519") != 0) {
		snprintf(why, whylen, "key_rotated: new_sigalg is neither "
		    "ed25519 nor hmac-sha256");
		return -1;
	}
	if (new_pk == NULL || verify_b64_exact(new_pk, strlen(new_pk), pk,
	    32) != 0) {
		snprintf(why, whylen, "key_rotated: new_public_key is not the "
		    "base64url text of 32 bytes");
		return -1;
	}
	if (have != NULL) {
		/* a kid the verifier already knows keeps its key */
		if (have->alg == ALG_ED25519 && sodium_memcmp(have->pk, pk,
		    32) == 0)
			return 0;
		snprintf(why, whylen, "key_rotated: new_kid %.80s is already "
		    "another key", new_kid);
		return -1;
	}
	if ((k = ring_extra(r, new_kid, 'r')) == NULL) {
		snprintf(why, whylen, "more than %d key rotations in one stream",
		    VERIFY_RING_EXTRA);
		return -1;
	}
	k->alg = ALG_ED25519;
	memcpy(k->pk, pk, 32);
	return 0;
}
