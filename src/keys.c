/*
 * keys.c - key text, key files and key memory (see include/keys.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "encode.h"
#include "keys.h"
#include "util.h"

const char *
keys_alg_name(enum key_alg a)
{
	switch (a) {
	case ALG_ED25519: return "ed25519";
	case ALG_HMAC: return "hmac-sha256";
	case ALG_OFF: return "off";
	default: return "none";
	}
}

int
keys_alg_parse(const char *s, enum key_alg *a)
{
	if (strcmp(s, "ed25519") == 0)
		*a = ALG_ED25519;
	else if (strcmp(s, "hmac-sha256") == 0)
		*a = ALG_HMAC;
	else if (strcmp(s, "off") == 0)
		*a = ALG_OFF;
	else
		return -1;
	return 0;
}

static void
key_set_ed25519(struct key *k, const unsigned char seed[32])
{
	k->alg = ALG_ED25519;
	k->secret_len = crypto_sign_SECRETKEYBYTES;
	k->secret = sodium_malloc(k->secret_len);
	if (k->secret == NULL)
		die(EXIT_OSERR, "cannot allocate locked memory for the key");
	crypto_sign_seed_keypair(k->pk, k->secret, seed);
	keys_kid(ALG_ED25519, k->pk, sizeof(k->pk), k->kid, sizeof(k->kid));
}

static void
key_set_hmac(struct key *k, const unsigned char *raw, size_t n)
{
	k->alg = ALG_HMAC;
	k->secret_len = n;
	k->secret = sodium_malloc(n);
	if (k->secret == NULL)
		die(EXIT_OSERR, "cannot allocate locked memory for the key");
	memcpy(k->secret, raw, n);
	keys_kid(ALG_HMAC, raw, n, k->kid, sizeof(k->kid));
}

int
keys_from_text(const char *text, size_t n, enum key_alg alg, struct key *k,
    char *err, size_t errlen)
{
	unsigned char *raw;
	long len;
	int rc = 0;

	memset(k, 0, sizeof(*k));
	/* decoded bytes are secret too: keep them in guarded memory */
	raw = sodium_malloc(KEY_TEXT_MAX);
	if (raw == NULL)
		die(EXIT_OSERR, "cannot allocate locked memory for the key");
	len = b64url_decode(text, n, raw, KEY_TEXT_MAX);
	if (len < 0) {
		snprintf(err, errlen, "key is not base64url text");
		rc = EXIT_CONFIG;
	} else if (alg == ALG_ED25519) {
		if (len != KEY_ED25519_SEED) {
			snprintf(err, errlen, "Ed25519 key is %ld bytes, expected "
			    "a 32-byte seed", len);
			rc = EXIT_CONFIG;
		} else
			key_set_ed25519(k, raw);
	} else if (alg == ALG_HMAC) {
		if (len < KEY_HMAC_MIN || len > KEY_HMAC_MAX) {
			snprintf(err, errlen, "HMAC key is %ld bytes, expected "
			    "32 to 64", len);
			rc = EXIT_CONFIG;
		} else
			key_set_hmac(k, raw, (size_t)len);
	} else {
		snprintf(err, errlen, "no signing algorithm for this key");
		rc = EXIT_CONFIG;
	}
	sodium_free(raw);       /* wipes before release */
	return rc;
}

int
keys_load_file(const char *path, enum key_alg alg, struct key *k, char *err,
    size_t errlen)
{
	struct stat st;
	char *text;
	ssize_t r;
	size_t n = 0;
	int fd, rc;

	/* O_NONBLOCK: opening a FIFO must not hang; fstat then refuses it */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open key file %s: %s; create one "
		    "with 'cellos-telemetry keygen PREFIX'", path, strerror(errno));
		return errno == ENOENT || errno == ENOTDIR ? EXIT_NOINPUT : EXIT_NOPERM;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "cannot stat key file %s: %s", path,
		    strerror(errno));
		close(fd);
		return EXIT_NOPERM;
	}
	/* checked on the opened file: what we read is what we checked */
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "key file %s is not a regular file; point "
		    "--signing-key at the key itself", path);
		close(fd);
		return EXIT_NOPERM;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "key file %s is mode %04o (readable by "
		    "group/others); run chmod 600 %s", path,
		    (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return EXIT_NOPERM;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(err, errlen, "key file %s is owned by uid %u, not by "
		    "uid %u or root; run chown %u %s", path, (unsigned)st.st_uid,
		    (unsigned)geteuid(), (unsigned)geteuid(), path);
		close(fd);
		return EXIT_NOPERM;
	}
	text = sodium_malloc(KEY_TEXT_MAX);
	if (text == NULL)
		die(EXIT_OSERR, "cannot allocate locked memory for the key");
	while (n < KEY_TEXT_MAX &&
	    (r = read(fd, text + n, KEY_TEXT_MAX - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "cannot read key file %s: %s",
			    path, strerror(errno));
			sodium_free(text);
			close(fd);
			return EXIT_NOINPUT;
		}
		n += (size_t)r;
	}
	close(fd);
	if (n == KEY_TEXT_MAX) {
		snprintf(err, errlen, "key file %s is larger than %d bytes; "
		    "expected one base64url line", path, KEY_TEXT_MAX - 1);
		sodium_free(text);
		return EXIT_CONFIG;
	}
	rc = keys_from_text(text, n, alg, k, err, errlen);
	if (rc != 0) {
		char why[200];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "key file %s: %s", path, why);
	}
	sodium_free(text);
	return rc;
}

int
keys_load_env(const char *var, enum key_alg alg, struct key *k, int *rc,
    char *err, size_t errlen)
{
	char *v = getenv(var);

	if (v == NULL)
		return 0;
	*rc = keys_from_text(v, strlen(v), alg, k, err, errlen);
	if (*rc != 0) {
		char why[200];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "$%s: %s", var, why);
	}
	/* the key must not linger in /proc/PID/environ or a child's env */
	sodium_memzero(v, strlen(v));
	unsetenv(var);
	return 1;
}

void
keys_configure(struct key *key, const char *alg_s, const char *key_file,
    const char *kid)
{
	enum key_alg alg = ALG_NONE;
	char err[512], junk[256];
	int rc = 0, from_env = 0, junk_rc = 0;
	struct key dummy;

	if (alg_s == NULL)
		alg_s = getenv(KEYS_ENV_ALG);
	if (alg_s != NULL && keys_alg_parse(alg_s, &alg) != 0)
		die(EXIT_CONFIG, "signing algorithm '%s' is unknown; use "
		    "ed25519, hmac-sha256 or off", alg_s);
	if (alg == ALG_NONE)
		alg = getenv(KEYS_ENV_HMAC) && !getenv(KEYS_ENV_ED25519) ? ALG_HMAC : ALG_ED25519;
	if (kid == NULL)
		kid = getenv(KEYS_ENV_KID);

	if (alg != ALG_OFF && key_file != NULL) {
		rc = keys_load_file(key_file, alg, key, err, sizeof(err));
	} else if (alg != ALG_OFF) {
		from_env = keys_load_env(alg == ALG_ED25519 ? KEYS_ENV_ED25519 :
		    KEYS_ENV_HMAC, alg, key, &rc, err, sizeof(err));
	}
	/* never leave a key in the environment, used or not */
	if (keys_load_env(KEYS_ENV_ED25519, ALG_ED25519, &dummy, &junk_rc, junk,
	    sizeof(junk)))
		keys_free(&dummy);
	if (keys_load_env(KEYS_ENV_HMAC, ALG_HMAC, &dummy, &junk_rc, junk,
	    sizeof(junk)))
		keys_free(&dummy);
	if (rc != 0)
		die(rc, "%s", err);
	if (alg == ALG_OFF) {
		memset(key, 0, sizeof(*key));
		key->alg = ALG_OFF;
		return;
	}
	if (key_file == NULL && !from_env)
		die(EXIT_CONFIG, "no signing key: pass --signing-key FILE (or set "
		    "$%s), or --sign-alg off to run unsigned; create a key with "
		    "'cellos-telemetry keygen PREFIX'", alg == ALG_HMAC ? KEYS_ENV_HMAC :
		    KEYS_ENV_ED25519);
	if (kid != NULL) {
		size_t i, n = strlen(kid);

		for (i = 0; i < n; i++)
			if (kid[i] <= 0x20 || kid[i] >= 0x7f || kid[i] == '"' ||
			    kid[i] == '\\')
				break;
		if (n == 0 || n >= KEY_KID_MAX || i < n)
			die(EXIT_CONFIG, "key id '%s' is not 1..128 printable "
			    "ASCII characters without spaces or quotes", kid);
		snprintf(key->kid, sizeof(key->kid), "%s", kid);
	}
}


void
keys_generate(enum key_alg alg, struct key *k)
{
	unsigned char raw[KEY_HMAC_MIN];

	memset(k, 0, sizeof(*k));
	randombytes_buf(raw, sizeof(raw));
	if (alg == ALG_ED25519)
		key_set_ed25519(k, raw);
	else
		key_set_hmac(k, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
}

void
keys_secret_text(const struct key *k, char *out)
{
	/* the seed is the first half of libsodium's Ed25519 secret key */
	if (k->alg == ALG_ED25519)
		b64url_encode(k->secret, KEY_ED25519_SEED, out);
	else
		b64url_encode(k->secret, k->secret_len, out);
}

void
keys_kid(enum key_alg alg, const unsigned char *material, size_t n,
    char *out, size_t outlen)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hx[2 * sizeof(h) + 1];

	crypto_hash_sha256(h, material, n);
	hex_encode(h, sizeof(h), hx);
	hx[16] = '\0';
	snprintf(out, outlen, "%s:%s", alg == ALG_ED25519 ? "ed25519" :
	    "hmac-sha256", hx);
}

int
keys_write_new(const char *path, const char *text, mode_t mode, char *err,
    size_t errlen)
{
	size_t n = strlen(text), off = 0;
	int fd;

	/* exclusive and no symlinks: never overwrite, never follow */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		if (errno == EEXIST) {
			snprintf(err, errlen, "%s already exists; refusing to "
			    "overwrite a key (choose another PREFIX or remove it)",
			    path);
			return EXIT_INUSE;
		}
		snprintf(err, errlen, "cannot create %s: %s", path,
		    strerror(errno));
		return EXIT_OSERR;
	}
	while (off < n) {
		ssize_t w = write(fd, text + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off < n || fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path,
		    off < n && errno == 0 ? "short write" : strerror(errno));
		close(fd);
		return EXIT_IOERR;
	}
	if (close(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return EXIT_IOERR;
	}
	return 0;
}

int
keys_save(const struct key *k, const char *prefix, char *err, size_t errlen)
{
	char path[4096], pub[64], *text;
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s.key", prefix) >= sizeof(path)) {
		snprintf(err, errlen, "PREFIX is too long");
		return EXIT_USAGE;
	}
	/* the key text is secret too: guarded memory, wiped on release */
	text = sodium_malloc(KEY_TEXT_MAX);
	if (text == NULL)
		die(EXIT_OSERR, "cannot allocate locked memory for the key");
	keys_secret_text(k, text);
	text[strlen(text) + 1] = '\0';
	text[strlen(text)] = '\n';
	rc = keys_write_new(path, text, 0600, err, errlen);
	sodium_free(text);
	if (rc != 0 || k->alg != ALG_ED25519)
		return rc;
	b64url_encode(k->pk, sizeof(k->pk), pub);
	pub[strlen(pub) + 1] = '\0';
	pub[strlen(pub)] = '\n';
	snprintf(path, sizeof(path), "%s.pub", prefix);
	return keys_write_new(path, pub, 0644, err, errlen);
}

int
keys_parse_public(const char *text, size_t n, unsigned char pk[32], char *err,
    size_t errlen)
{
	unsigned char raw[64];

	if (b64url_decode(text, n, raw, sizeof(raw)) != 32) {
		snprintf(err, errlen, "not a base64url Ed25519 public key (32 "
		    "bytes); use the PREFIX.pub file from keygen");
		return EXIT_CONFIG;
	}
	memcpy(pk, raw, 32);
	return 0;
}

int
keys_load_public(const char *path, unsigned char pk[32], char *err,
    size_t errlen)
{
	char text[KEY_TEXT_MAX], why[200];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), rc;
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return errno == ENOENT ? EXIT_NOINPUT : EXIT_NOPERM;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return EXIT_NOINPUT;
	}
	rc = keys_parse_public(text, (size_t)n, pk, why, sizeof(why));
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, why);
	return rc;
}

void
keys_free(struct key *k)
{
	if (k->secret != NULL)
		sodium_free(k->secret);
	k->secret = NULL;
	k->secret_len = 0;
}
