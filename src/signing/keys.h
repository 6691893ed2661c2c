/*
 * keys.h - signing keys: parse key text, load key files under the permission
 * rules of SPEC section 6, derive the default key id. Secret bytes live in
 * sodium_malloc'd (guarded, mlocked) memory and are wiped by keys_free().
 */
#ifndef KEYS_H
#define KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum key_alg { ALG_NONE = 0, ALG_OFF, ALG_ED25519, ALG_HMAC };

#define KEY_ED25519_SEED 32
#define KEY_HMAC_MIN 32
#define KEY_HMAC_MAX 64
#define KEY_TEXT_MAX 4096
#define KEY_KID_MAX 129
#define KEYS_MAGIC "cellos-telemetry "      /* first word of a typed key file */

struct key {
	enum key_alg alg;
	unsigned char *secret;  /* Ed25519 secret key (64) or HMAC key */
	size_t secret_len;
	unsigned char pk[32];   /* Ed25519 only */
	char kid[KEY_KID_MAX];
};

/* "ed25519", "hmac-sha256", "off". */
const char *keys_alg_name(enum key_alg a);
/* 0 and *a set, or -1 when s names no algorithm. */
int keys_alg_parse(const char *s, enum key_alg *a);

/*
 * Decode key text (base64url of an Ed25519 seed or an HMAC key) into k.
 * Returns 0, or an exit code (78) with a message in err.
 */
int keys_from_text(const char *text, size_t n, enum key_alg alg,
    struct key *k, char *err, size_t errlen);

/*
 * Open path, refuse it unless it is a regular file owned by the caller or
 * root and unreadable by group and others (checked with fstat on the opened
 * file, so a symlink to a safe file is fine), then decode it. Returns 0, or
 * 66 (missing), 77 (permissions), 78 (content) with a message in err.
 */
int keys_load_file(const char *path, enum key_alg alg, struct key *k,
    char *err, size_t errlen);

/* Read the key from an environment variable, then wipe and unset it.
 * Returns 1 when the variable was set (result in *rc), 0 otherwise. */
int keys_load_env(const char *var, enum key_alg alg, struct key *k, int *rc,
    char *err, size_t errlen);

/* Environment variables of the Rust crate this descends from. */
#define KEYS_ENV_ALG "CELLOS_HOST_TELEMETRY_SIGN_ALG"
#define KEYS_ENV_KID "CELLOS_HOST_TELEMETRY_SIGN_KID"
#define KEYS_ENV_ED25519 "CELLOS_HOST_TELEMETRY_SIGN_ED25519_KEY"
#define KEYS_ENV_HMAC "CELLOS_HOST_TELEMETRY_SIGN_HMAC_KEY"

/*
 * The daemon's signing configuration (SPEC section 6): the algorithm, key
 * and key id from the flags (NULL when not given) or else the environment.
 * Key variables are wiped from the environment whatever happens. Exits with
 * the spec's code (66, 77, 78) and a message on any problem.
 */
void keys_configure(struct key *key, const char *alg_s, const char *key_file,
    const char *kid);

/* Default key id: "ed25519:" + first 16 hex of SHA-256(public key), or
 * "hmac-sha256:" + first 16 hex of HMAC-SHA256(key, "cellos-telemetry key
 * id"). */
void keys_kid(enum key_alg alg, const unsigned char *material, size_t n,
    char *out, size_t outlen);

/* Generate a fresh key. */
void keys_generate(enum key_alg alg, struct key *k);

/* The typed key file text (SPEC section 13) of k's secret, or of its
 * public key when public is set: a first line saying what it is, then the
 * base64url key. */
void keys_text(const struct key *k, int public, char *out, size_t cap);

/* Create path exclusively (never overwrite, never follow a symlink) with
 * mode and write text. Returns 0, or 73 (exists), 71, 74 with err set. */
int keys_write_new(const char *path, const char *text, mode_t mode,
    char *err, size_t errlen);

/* keygen's files: PREFIX.key (0600) and, for Ed25519, PREFIX.pub (0644).
 * Returns 0 or an exit code with err set. */
int keys_save(const struct key *k, const char *prefix, char *err,
    size_t errlen);

/* An Ed25519 public key from its text, or from a file. 0, or an exit code
 * (66 missing, 77 unreadable, 78 not a public key) with err set. */
int keys_parse_public(const char *text, size_t n, unsigned char pk[32],
    char *err, size_t errlen);
int keys_load_public(const char *path, unsigned char pk[32], char *err,
    size_t errlen);

/* For `pubkey`: a typed public key file (k->secret stays NULL), or a
 * secret key file under the rules of keys_load_file (bare files are read
 * as bare_alg). 0, or an exit code with err set. */
int keys_load_any(const char *path, enum key_alg bare_alg, struct key *k,
    char *err, size_t errlen);

/* An Ed25519 public key as an SPKI PEM block (RFC 8410), as OpenSSL reads
 * it; out needs 120 bytes. */
void keys_pem(const unsigned char pk[32], char *out, size_t cap);

void keys_free(struct key *k);

#endif
