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

/* What the text of a key says about itself. */
struct key_text {
	int typed;              /* a first line said what the key is */
	enum key_alg alg;       /* typed: the algorithm it names */
	int is_public;          /* typed: "public key" */
	char kid[KEY_KID_MAX];  /* typed: kid= of the first line, "" if none */
	const char *b64;        /* the base64url key */
	size_t b64_len;
};

/*
 * Split typed key text (SPEC section 13) into its first line and key, or
 * take it as bare base64url. Only the first line, which is public, is
 * parsed with ordinary string functions. 0, or 78 with err set.
 */
static int
key_text_parse(const char *text, size_t n, struct key_text *t, char *err,
    size_t errlen)
{
	const char *nl;
	char line[256], alg[32], kind[16], word[8], kidpart[KEY_KID_MAX + 4];
	size_t len, magic = strlen(KEYS_MAGIC);
	int fields, used = 0;

	memset(t, 0, sizeof(*t));
	t->b64 = text;
	t->b64_len = n;
	if (n < magic || memcmp(text, KEYS_MAGIC, magic) != 0)
		return 0;
	t->typed = 1;
	nl = memchr(text, '\n', n);
	len = nl ? (size_t)(nl - text) : n;
	if (len > 0 && text[len - 1] == '\r')
		len--;
	if (nl == NULL || len >= sizeof(line)) {
		snprintf(err, errlen, "the first line names a key but no key "
		    "follows it; expected '%s<alg> <secret|public> key kid=...' "
		    "and the base64url key on the second line", KEYS_MAGIC);
		return EXIT_CONFIG;
	}
	memcpy(line, text, len);
	line[len] = '\0';
	kidpart[0] = '\0';
	fields = sscanf(line, KEYS_MAGIC "%31s %15s %7s %n%132s %n", alg, kind,
	    word, &used, kidpart, &used);
	if (fields < 3 || (size_t)used != len || strcmp(word, "key") != 0 ||
	    keys_alg_parse(alg, &t->alg) != 0 || t->alg == ALG_OFF ||
	    (strcmp(kind, "secret") != 0 && strcmp(kind, "public") != 0) ||
	    (strcmp(kind, "public") == 0 && t->alg != ALG_ED25519) ||
	    (fields == 4 && strncmp(kidpart, "kid=", 4) != 0)) {
		snprintf(err, errlen, "first line '%.80s' is not '%sed25519 "
		    "secret key', 'ed25519 public key' or 'hmac-sha256 secret "
		    "key' (with kid=...)", line, KEYS_MAGIC);
		return EXIT_CONFIG;
	}
	t->is_public = strcmp(kind, "public") == 0;
	if (fields == 4)
		memcpy(t->kid, kidpart + 4, strlen(kidpart + 4) + 1);
	t->b64 = nl + 1;
	t->b64_len = n - (size_t)(nl + 1 - text);
	return 0;
}

/* "ed25519 secret key" and the like, for messages. */
static const char *
key_text_kind(const struct key_text *t)
{
	if (t->alg == ALG_HMAC)
		return "an hmac-sha256 secret key";
	return t->is_public ? "an ed25519 public key" : "an ed25519 secret key";
}

/* A typed key that is not a secret key of alg. 0, or 78 with err. */
static int
key_text_check_secret(const struct key_text *t, enum key_alg alg, char *err,
    size_t errlen)
{
	if (!t->typed)
		return 0;
	if (t->is_public) {
		snprintf(err, errlen, "this is %s: the daemon signs with the "
		    "secret key; pass the matching .key file from 'cellos-telemetry "
		    "keygen' (never make a public key file private to use it)",
		    key_text_kind(t));
		return EXIT_CONFIG;
	}
	if (t->alg != alg) {
		snprintf(err, errlen, "this is %s but the signing algorithm is "
		    "%s; pass --sign-alg %s, or a %s key", key_text_kind(t),
		    keys_alg_name(alg), keys_alg_name(t->alg), keys_alg_name(alg));
		return EXIT_CONFIG;
	}
	return 0;
}

/* Decode the secret of t into k as alg. 0, or 78 with err set. */
static int
key_text_decode(const struct key_text *t, enum key_alg alg, struct key *k,
    char *err, size_t errlen)
{
	unsigned char *raw;
	long len;
	int rc = 0;

	/* decoded bytes are secret too: keep them in guarded memory */
	raw = sodium_malloc(KEY_TEXT_MAX);
	if (raw == NULL)
		die(EXIT_OSERR, "cannot allocate locked memory for the key");
	len = b64url_decode(t->b64, t->b64_len, raw, KEY_TEXT_MAX);
	if (len < 0) {
		snprintf(err, errlen, "the key is not one line of base64url "
		    "(URL-safe alphabet, no padding); it may be truncated, "
		    "damaged or of another format");
		rc = EXIT_CONFIG;
	} else if (alg == ALG_ED25519 && len != KEY_ED25519_SEED) {
		snprintf(err, errlen, "Ed25519 key is %ld bytes, expected a "
		    "32-byte seed", len);
		rc = EXIT_CONFIG;
	} else if (alg == ALG_HMAC && (len < KEY_HMAC_MIN || len > KEY_HMAC_MAX)) {
		snprintf(err, errlen, "HMAC key is %ld bytes, expected 32 to 64",
		    len);
		rc = EXIT_CONFIG;
	} else if (alg == ALG_ED25519) {
		key_set_ed25519(k, raw);
	} else if (alg == ALG_HMAC) {
		key_set_hmac(k, raw, (size_t)len);
	} else {
		snprintf(err, errlen, "no signing algorithm for this key");
		rc = EXIT_CONFIG;
	}
	sodium_free(raw);       /* wipes before release */
	if (rc == 0 && t->kid[0] != '\0' && strcmp(t->kid, k->kid) != 0) {
		snprintf(err, errlen, "the first line says kid=%.80s but the key's "
		    "id is %s: the file was edited or damaged", t->kid, k->kid);
		keys_free(k);
		rc = EXIT_CONFIG;
	}
	return rc;
}

int
keys_from_text(const char *text, size_t n, enum key_alg alg, struct key *k,
    char *err, size_t errlen)
{
	struct key_text t;
	int rc;

	memset(k, 0, sizeof(*k));
	if ((rc = key_text_parse(text, n, &t, err, errlen)) != 0 ||
	    (rc = key_text_check_secret(&t, alg, err, errlen)) != 0)
		return rc;
	return key_text_decode(&t, alg, k, err, errlen);
}

/*
 * Read a key file into guarded memory (*text, *n). O_NONBLOCK: opening a
 * FIFO must not hang; *st is the opened file's, so what is read is what
 * is checked. 0, or an exit code with err set.
 */
static int
read_key_file(const char *path, char **text, size_t *n, struct stat *st,
    char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int rc = 0;
	ssize_t r;

	*text = NULL;
	*n = 0;
	if (fd < 0) {
		snprintf(err, errlen, "cannot open key file %s: %s; create one "
		    "with 'cellos-telemetry keygen PREFIX'", path, strerror(errno));
		return errno == ENOENT || errno == ENOTDIR ? EXIT_NOINPUT :
		    EXIT_NOPERM;
	}
	if (fstat(fd, st) != 0) {
		snprintf(err, errlen, "cannot stat key file %s: %s", path,
		    strerror(errno));
		rc = EXIT_NOPERM;
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "key file %s is not a regular file; point "
		    "at the key file itself", path);
		rc = EXIT_NOPERM;
		goto out;
	}
	*text = sodium_malloc(KEY_TEXT_MAX);
	if (*text == NULL)
		die(EXIT_OSERR, "cannot allocate locked memory for the key");
	while (*n < KEY_TEXT_MAX &&
	    (r = read(fd, *text + *n, KEY_TEXT_MAX - *n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "cannot read key file %s: %s", path,
			    strerror(errno));
			rc = EXIT_NOINPUT;
			goto out;
		}
		*n += (size_t)r;
	}
	if (*n == KEY_TEXT_MAX) {
		snprintf(err, errlen, "key file %s is larger than %d bytes; "
		    "expected a key file from 'cellos-telemetry keygen'", path,
		    KEY_TEXT_MAX - 1);
		rc = EXIT_CONFIG;
	}
out:
	close(fd);
	if (rc != 0 && *text != NULL) {
		sodium_free(*text);
		*text = NULL;
	}
	return rc;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/*
 * A systemd credential ($CREDENTIALS_DIRECTORY/NAME): systemd writes it
 * mode 0400, owned by root, and grants the service's user read access by
 * an ACL, whose mask shows as the group's read bit. Nothing else is
 * allowed there either.
 */
static int
is_credential(const char *path, const struct stat *st)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	size_t n = dir ? strlen(dir) : 0;

	return n > 0 && strncmp(path, dir, n) == 0 && path[n] == '/' &&
	    strchr(path + n + 1, '/') == NULL && st->st_uid == 0 &&
	    (st->st_mode & 07777 & ~(mode_t)0440) == 0;
}

/* Who may hold a secret key file: the caller or root, nobody else. */
static int
check_secret_file(const char *path, const struct stat *st, char *err,
    size_t errlen)
{
	uid_t me = geteuid();

	if (is_credential(path, st))
		return 0;
	if (st->st_mode & 077) {
		snprintf(err, errlen, "key file %s is mode %04o (readable by "
		    "group/others); a secret key must be private: run chmod 600 "
		    "%s", path, (unsigned)(st->st_mode & 07777), path);
		return EXIT_NOPERM;
	}
	if (st->st_uid != me && st->st_uid != 0) {
		if (me == 0)
			snprintf(err, errlen, "key file %s is owned by uid %u, not "
			    "by root; run chown root %s", path,
			    (unsigned)st->st_uid, path);
		else
			snprintf(err, errlen, "key file %s is owned by uid %u, not "
			    "by uid %u or root; run chown %u %s", path,
			    (unsigned)st->st_uid, (unsigned)me, (unsigned)me, path);
		return EXIT_NOPERM;
	}
	return 0;
}

/*
 * The secret-key rules on a file already read (its fstat st, its parsed
 * text t, which points into the text read): what the file is first (a public key is refused as
 * one, never with advice to make it private), then who may read it, then
 * the key itself. 0, or an exit code with err set.
 */
static int
load_secret(const char *path, const struct stat *st, const struct key_text *t,
    enum key_alg alg, struct key *k, char *err, size_t errlen)
{
	char why[400];
	int rc;

	rc = key_text_check_secret(t, alg, why, sizeof(why));
	if (rc == 0 && !t->typed && ends_with(path, ".pub") &&
	    (st->st_mode & 077)) {
		snprintf(why, sizeof(why), "this looks like a public key (a .pub "
		    "file readable by others): the daemon signs with the secret "
		    "key; pass the matching .key file");
		rc = EXIT_CONFIG;
	}
	if (rc != 0) {
		snprintf(err, errlen, "key file %s: %s", path, why);
		return rc;
	}
	if ((rc = check_secret_file(path, st, err, errlen)) != 0)
		return rc;
	if ((rc = key_text_decode(t, alg, k, why, sizeof(why))) != 0)
		snprintf(err, errlen, "key file %s: %s", path, why);
	return rc;
}

/* Read path and parse its first line. 0 with *text (guarded memory, the
 * caller frees it) or an exit code with err set. */
static int
read_typed(const char *path, char **text, size_t *n, struct stat *st,
    struct key_text *t, char *err, size_t errlen)
{
	char why[400];
	int rc;

	if ((rc = read_key_file(path, text, n, st, err, errlen)) != 0)
		return rc;
	if ((rc = key_text_parse(*text, *n, t, why, sizeof(why))) != 0) {
		snprintf(err, errlen, "key file %s: %s", path, why);
		sodium_free(*text);
		*text = NULL;
	}
	return rc;
}

int
keys_load_file(const char *path, enum key_alg alg, struct key *k, char *err,
    size_t errlen)
{
	struct key_text t;
	struct stat st;
	char *text;
	size_t n;
	int rc;

	memset(k, 0, sizeof(*k));
	if ((rc = read_typed(path, &text, &n, &st, &t, err, errlen)) != 0)
		return rc;
	rc = load_secret(path, &st, &t, alg, k, err, errlen);
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
keys_text(const struct key *k, int public, char *out, size_t cap)
{
	char b64[KEY_HMAC_MAX * 2];
	int n;

	/* the seed is the first half of libsodium's Ed25519 secret key */
	if (public)
		b64url_encode(k->pk, sizeof(k->pk), b64);
	else
		b64url_encode(k->secret, k->alg == ALG_ED25519 ?
		    KEY_ED25519_SEED : k->secret_len, b64);
	n = snprintf(out, cap, KEYS_MAGIC "%s %s key kid=%s\n%s\n",
	    keys_alg_name(k->alg), public ? "public" : "secret", k->kid, b64);
	sodium_memzero(b64, sizeof(b64));
	if (n < 0 || (size_t)n >= cap)
		die(EXIT_OSERR, "key text does not fit its buffer");
}

void
keys_kid(enum key_alg alg, const unsigned char *material, size_t n,
    char *out, size_t outlen)
{
	static const char label[] = "cellos-telemetry key id";
	unsigned char h[crypto_hash_sha256_BYTES];
	char hx[2 * sizeof(h) + 1];

	if (alg == ALG_ED25519) {
		crypto_hash_sha256(h, material, n);
	} else {
		/* a plain hash of a secret would publish a test of guesses at
		 * it; a MAC of a fixed label under the key does not */
		crypto_auth_hmacsha256_state st;

		crypto_auth_hmacsha256_init(&st, material, n);
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)label,
		    sizeof(label) - 1);
		crypto_auth_hmacsha256_final(&st, h);
		sodium_memzero(&st, sizeof(st));
	}
	hex_encode(h, sizeof(h), hx);
	hx[16] = '\0';
	snprintf(out, outlen, "%s:%s", keys_alg_name(alg), hx);
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

/* A temporary name beside path: path.tmp-<random>. */
static void
temp_name(const char *path, char *out, size_t cap)
{
	unsigned char r[8];
	char hex[17];

	randombytes_buf(r, sizeof(r));
	hex_encode(r, sizeof(r), hex);
	snprintf(out, cap, "%s.tmp-%s", path, hex);
}

/* Give tmp its final name, never replacing one that exists: link, then
 * drop the temporary name. 0, or 73 with err set (tmp removed). */
static int
publish(const char *tmp, const char *path, char *err, size_t errlen)
{
	int rc = 0;

	if (link(tmp, path) != 0) {
		if (errno == EEXIST)
			snprintf(err, errlen, "%s already exists; refusing to "
			    "overwrite a key (choose another PREFIX or remove it)",
			    path);
		else
			snprintf(err, errlen, "cannot create %s: %s", path,
			    strerror(errno));
		rc = errno == EEXIST ? EXIT_INUSE : EXIT_OSERR;
	}
	unlink(tmp);
	return rc;
}

/*
 * Both files of the pair are written under temporary names first, then
 * linked into place, the public key first: whatever fails, there is never
 * half a pair (a PREFIX.key without its PREFIX.pub, or the reverse).
 */
int
keys_save(const struct key *k, const char *prefix, char *err, size_t errlen)
{
	char key_path[4096], pub_path[4096], key_tmp[4200], pub_tmp[4200];
	char pub[256], *text;
	int rc, pair = k->alg == ALG_ED25519;

	if ((size_t)snprintf(key_path, sizeof(key_path), "%s.key", prefix) >=
	    sizeof(key_path) - 32) {
		snprintf(err, errlen, "PREFIX is too long");
		return EXIT_USAGE;
	}
	snprintf(pub_path, sizeof(pub_path), "%s.pub", prefix);
	temp_name(key_path, key_tmp, sizeof(key_tmp));
	temp_name(pub_path, pub_tmp, sizeof(pub_tmp));
	/* the key text is secret too: guarded memory, wiped on release */
	text = sodium_malloc(KEY_TEXT_MAX);
	if (text == NULL)
		die(EXIT_OSERR, "cannot allocate locked memory for the key");
	keys_text(k, 0, text, KEY_TEXT_MAX);
	rc = keys_write_new(key_tmp, text, 0600, err, errlen);
	sodium_free(text);
	if (rc != 0)
		return rc;
	if (pair) {
		keys_text(k, 1, pub, sizeof(pub));
		if ((rc = keys_write_new(pub_tmp, pub, 0644, err, errlen)) != 0) {
			unlink(key_tmp);
			return rc;
		}
		if ((rc = publish(pub_tmp, pub_path, err, errlen)) != 0) {
			unlink(key_tmp);
			return rc;
		}
	}
	if ((rc = publish(key_tmp, key_path, err, errlen)) != 0 && pair)
		unlink(pub_path);       /* linked a moment ago: ours */
	return rc;
}

int
keys_parse_public(const char *text, size_t n, unsigned char pk[32], char *err,
    size_t errlen)
{
	struct key_text t;
	unsigned char raw[64];
	char kid[KEY_KID_MAX];
	int rc;

	if ((rc = key_text_parse(text, n, &t, err, errlen)) != 0)
		return rc;
	if (t.typed && !t.is_public) {
		snprintf(err, errlen, "this is %s, not a public key: a verifier "
		    "never needs a secret Ed25519 key; pass the PREFIX.pub file "
		    "(or 'cellos-telemetry pubkey' output), or an HMAC key with "
		    "--hmac-key", key_text_kind(&t));
		return EXIT_CONFIG;
	}
	if (b64url_decode(t.b64, t.b64_len, raw, sizeof(raw)) != 32) {
		snprintf(err, errlen, "not a base64url Ed25519 public key (32 "
		    "bytes); use the PREFIX.pub file from keygen");
		return EXIT_CONFIG;
	}
	memcpy(pk, raw, 32);
	keys_kid(ALG_ED25519, pk, 32, kid, sizeof(kid));
	if (t.kid[0] != '\0' && strcmp(t.kid, kid) != 0) {
		snprintf(err, errlen, "the first line says kid=%.80s but the key's "
		    "id is %s: the file was edited or damaged", t.kid, kid);
		return EXIT_CONFIG;
	}
	return 0;
}

int
keys_load_public(const char *path, unsigned char pk[32], char *err,
    size_t errlen)
{
	struct stat st;
	char *text, why[400];
	size_t n;
	int rc;

	if ((rc = read_key_file(path, &text, &n, &st, err, errlen)) != 0)
		return rc;
	rc = keys_parse_public(text, n, pk, why, sizeof(why));
	if (rc != 0)
		snprintf(err, errlen, "%s: %s", path, why);
	sodium_free(text);
	return rc;
}

int
keys_load_any(const char *path, enum key_alg bare_alg, struct key *k,
    char *err, size_t errlen)
{
	struct key_text t;
	struct stat st;
	char *text, why[400];
	size_t n;
	int rc;

	memset(k, 0, sizeof(*k));
	if ((rc = read_typed(path, &text, &n, &st, &t, err, errlen)) != 0)
		return rc;
	if (t.is_public) {
		rc = keys_parse_public(text, n, k->pk, why, sizeof(why));
		if (rc != 0)
			snprintf(err, errlen, "%s: %s", path, why);
		k->alg = ALG_ED25519;
		keys_kid(ALG_ED25519, k->pk, sizeof(k->pk), k->kid,
		    sizeof(k->kid));
	} else {
		/* a secret key: under the secret key rules, read once */
		rc = load_secret(path, &st, &t, t.typed ? t.alg : bare_alg, k,
		    err, errlen);
	}
	sodium_free(text);
	return rc;
}

void
keys_pem(const unsigned char pk[32], char *out, size_t cap)
{
	/* RFC 8410 SubjectPublicKeyInfo: SEQUENCE { SEQUENCE { OID 1.3.101.112
	 * (id-Ed25519) }, BIT STRING { the 32 key bytes } } */
	static const unsigned char prefix[12] = {
		0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21,
		0x00,
	};
	unsigned char der[sizeof(prefix) + 32];
	char b64[sodium_base64_ENCODED_LEN(sizeof(der),
	    sodium_base64_VARIANT_ORIGINAL)];

	memcpy(der, prefix, sizeof(prefix));
	memcpy(der + sizeof(prefix), pk, 32);
	sodium_bin2base64(b64, sizeof(b64), der, sizeof(der),
	    sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, cap, "-----BEGIN PUBLIC KEY-----\n%s\n"
	    "-----END PUBLIC KEY-----\n", b64);
}

void
keys_free(struct key *k)
{
	if (k->secret != NULL)
		sodium_free(k->secret);
	k->secret = NULL;
	k->secret_len = 0;
}
