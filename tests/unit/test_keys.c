/*
 * test_keys.c - key text, key file rules, key ids; Ed25519 (RFC 8032
 * test 1) and HMAC-SHA256 (RFC 4231 case 1) known answers.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "encode.h"
#include "keys.h"
#include "sign.h"
#include "t.h"
#include "util.h"

/* RFC 8032 7.1 TEST 1 */
static const char rfc8032_seed_hex[] =
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
static const char rfc8032_pk_hex[] =
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char rfc8032_sig_hex[] =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
    "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

static void
unhex(const char *h, uint8_t *out)
{
	size_t i;

	for (i = 0; h[2 * i]; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static void
seed_text(char *out)
{
	uint8_t seed[32];

	unhex(rfc8032_seed_hex, seed);
	b64url_encode(seed, 32, out);
}

static void
ed25519_rfc8032_test1(void)
{
	char text[64], err[256], sig[SIGN_MAX_TEXT + 1], hex[200];
	uint8_t raw[64];
	struct key k;

	seed_text(text);
	T_EQ_INT(keys_from_text(text, strlen(text), ALG_ED25519, &k, err, sizeof(err)), 0);
	hex_encode(k.pk, 32, hex);
	T_EQ_STR(hex, rfc8032_pk_hex);
	sign_text(&k, (const uint8_t *)"", 0, sig);
	T_EQ_INT(b64url_decode(sig, strlen(sig), raw, sizeof(raw)), 64);
	hex_encode(raw, 64, hex);
	T_EQ_STR(hex, rfc8032_sig_hex);
	T_ASSERT(sign_verify_ed25519(k.pk, (const uint8_t *)"", 0, raw, 64));
	raw[0] ^= 1;    /* a forgery must fail */
	T_ASSERT(!sign_verify_ed25519(k.pk, (const uint8_t *)"", 0, raw, 64));
	T_ASSERT(strncmp(k.kid, "ed25519:", 8) == 0 && strlen(k.kid) == 8 + 16);
	keys_free(&k);
}

static void
hmac_rfc4231_case1(void)
{
	uint8_t key[20], mac[32];
	char hex[65];
	unsigned char *sk = sodium_malloc(20);
	struct key k = { .alg = ALG_HMAC, .secret = sk, .secret_len = 20 };
	char sig[SIGN_MAX_TEXT + 1];

	memset(key, 0x0b, sizeof(key));
	memcpy(sk, key, 20);
	sign_text(&k, (const uint8_t *)"Hi There", 8, sig);
	T_EQ_INT(b64url_decode(sig, strlen(sig), mac, sizeof(mac)), 32);
	hex_encode(mac, 32, hex);
	T_EQ_STR(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	T_ASSERT(sign_verify_hmac(key, 20, (const uint8_t *)"Hi There", 8, mac, 32));
	mac[31] ^= 0x80;
	T_ASSERT(!sign_verify_hmac(key, 20, (const uint8_t *)"Hi There", 8, mac, 32));
	keys_free(&k);
}

static void
key_text_rules(void)
{
	char err[256], text[128];
	uint8_t raw[65];
	struct key k;

	memset(raw, 7, sizeof(raw));
	b64url_encode(raw, 31, text);
	T_EQ_INT(keys_from_text(text, strlen(text), ALG_ED25519, &k, err, sizeof(err)), 78);
	T_ASSERT(strstr(err, "31 bytes") != NULL);
	b64url_encode(raw, 31, text);
	T_EQ_INT(keys_from_text(text, strlen(text), ALG_HMAC, &k, err, sizeof(err)), 78);
	b64url_encode(raw, 65, text);
	T_EQ_INT(keys_from_text(text, strlen(text), ALG_HMAC, &k, err, sizeof(err)), 78);
	b64url_encode(raw, 64, text);
	T_EQ_INT(keys_from_text(text, strlen(text), ALG_HMAC, &k, err, sizeof(err)), 0);
	T_ASSERT(strncmp(k.kid, "hmac-sha256:", 12) == 0);
	keys_free(&k);
	T_EQ_INT(keys_from_text("not base64!", 11, ALG_ED25519, &k, err, sizeof(err)), 78);
}

static char tmpdir[64];

static const char *
tmp_path(const char *name)
{
	static char p[128];

	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/cellos-unit-XXXXXX");
		if (mkdtemp(tmpdir) == NULL)
			abort();
	}
	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	return p;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		abort();
	fchmod(fd, mode);
	close(fd);
}

static void
key_file_rules(void)
{
	char text[64], line[80], err[512];
	struct key k;
	const char *p;

	seed_text(text);
	snprintf(line, sizeof(line), "  %s\n", text);

	p = tmp_path("good.key");
	write_file(p, line, 0600);
	T_EQ_INT(keys_load_file(p, ALG_ED25519, &k, err, sizeof(err)), 0);
	keys_free(&k);

	p = tmp_path("open.key");
	write_file(p, line, 0644);
	T_EQ_INT(keys_load_file(p, ALG_ED25519, &k, err, sizeof(err)), 77);
	T_ASSERT(strstr(err, "chmod 600") != NULL);

	T_EQ_INT(keys_load_file(tmp_path("missing.key"), ALG_ED25519, &k, err, sizeof(err)), 66);

	p = tmp_path("dir.key");
	mkdir(p, 0700);
	T_EQ_INT(keys_load_file(p, ALG_ED25519, &k, err, sizeof(err)), 77);
	T_ASSERT(strstr(err, "not a regular file") != NULL);

	p = tmp_path("fifo.key");
	mkfifo(p, 0600);
	T_EQ_INT(keys_load_file(p, ALG_ED25519, &k, err, sizeof(err)), 77);

	/* a symlink to a safe file, as secret mounts use, is fine */
	{
		char target[128];

		snprintf(target, sizeof(target), "%s", tmp_path("good.key"));
		T_ASSERT(symlink(target, tmp_path("link.key")) == 0);
	}
	T_EQ_INT(keys_load_file(tmp_path("link.key"), ALG_ED25519, &k, err, sizeof(err)), 0);
	keys_free(&k);

	/* a typed public key, however its mode: what it is, never chmod */
	{
		char pub[300];
		struct key a;

		keys_generate(ALG_ED25519, &a);
		keys_text(&a, 1, pub, sizeof(pub));
		keys_free(&a);
		p = tmp_path("host.pub");
		write_file(p, pub, 0644);
		T_EQ_INT(keys_load_file(p, ALG_ED25519, &k, err, sizeof(err)), 78);
		T_ASSERT(strstr(err, "public key") != NULL && strstr(err, "chmod") == NULL);
		write_file(p, pub, 0600);
		chmod(p, 0600);
		T_EQ_INT(keys_load_file(p, ALG_ED25519, &k, err, sizeof(err)), 78);
		/* a bare .pub readable by others: no chmod advice either */
		p = tmp_path("old.pub");
		write_file(p, line, 0644);
		T_EQ_INT(keys_load_file(p, ALG_ED25519, &k, err, sizeof(err)), 78);
		T_ASSERT(strstr(err, "chmod") == NULL);
	}

	p = tmp_path("junk.key");
	write_file(p, "hello world\n", 0600);
	T_EQ_INT(keys_load_file(p, ALG_ED25519, &k, err, sizeof(err)), 78);
	T_ASSERT(strstr(err, p) != NULL);
}

static void
env_key_wiped(void)
{
	char text[64], err[256];
	struct key k;
	int rc = -1;

	seed_text(text);
	setenv("CELLOS_UNIT_KEY", text, 1);
	T_EQ_INT(keys_load_env("CELLOS_UNIT_KEY", ALG_ED25519, &k, &rc, err, sizeof(err)), 1);
	T_EQ_INT(rc, 0);
	T_ASSERT(getenv("CELLOS_UNIT_KEY") == NULL);
	keys_free(&k);
	T_EQ_INT(keys_load_env("CELLOS_UNIT_KEY", ALG_ED25519, &k, &rc, err, sizeof(err)), 0);
}

static void
generated_keys_round_trip(void)
{
	char text[300], pub[300], want[200], err[256];
	unsigned char pk[32];
	struct key a, b;

	keys_generate(ALG_ED25519, &a);
	keys_text(&a, 0, text, sizeof(text));
	snprintf(want, sizeof(want), "cellos-telemetry ed25519 secret key kid=%s\n",
	    a.kid);
	T_ASSERT(strncmp(text, want, strlen(want)) == 0);
	T_EQ_INT(keys_from_text(text, strlen(text), ALG_ED25519, &b, err, sizeof(err)), 0);
	T_ASSERT(memcmp(a.pk, b.pk, 32) == 0);
	T_EQ_STR(a.kid, b.kid);
	keys_free(&b);
	keys_text(&a, 1, pub, sizeof(pub));
	snprintf(want, sizeof(want), "cellos-telemetry ed25519 public key kid=%s\n",
	    a.kid);
	T_ASSERT(strncmp(pub, want, strlen(want)) == 0);
	T_EQ_INT(keys_parse_public(pub, strlen(pub), pk, err, sizeof(err)), 0);
	T_ASSERT(memcmp(a.pk, pk, 32) == 0);
	keys_free(&a);

	keys_generate(ALG_HMAC, &a);
	keys_text(&a, 0, text, sizeof(text));
	T_ASSERT(strncmp(text, "cellos-telemetry hmac-sha256 secret key kid=hmac-sha256:", 56) == 0);
	T_EQ_INT(keys_from_text(text, strlen(text), ALG_HMAC, &b, err, sizeof(err)), 0);
	T_EQ_STR(a.kid, b.kid);
	keys_free(&a);
	keys_free(&b);
}

/* The key-confusion case: a public key given as the signing key. */
static void
typed_key_confusion_refused(void)
{
	char pub[300], sec[300], err[512];
	struct key a, k;

	keys_generate(ALG_ED25519, &a);
	keys_text(&a, 1, pub, sizeof(pub));
	keys_text(&a, 0, sec, sizeof(sec));
	T_EQ_INT(keys_from_text(pub, strlen(pub), ALG_ED25519, &k, err, sizeof(err)), 78);
	T_ASSERT(strstr(err, "ed25519 public key") != NULL);
	T_ASSERT(strstr(err, "chmod") == NULL);
	/* another algorithm than the one in use */
	T_EQ_INT(keys_from_text(sec, strlen(sec), ALG_HMAC, &k, err, sizeof(err)), 78);
	T_ASSERT(strstr(err, "--sign-alg ed25519") != NULL);
	/* a secret key where a verifier wants a public one */
	T_EQ_INT(keys_parse_public(sec, strlen(sec), a.pk, err, sizeof(err)), 78);
	T_ASSERT(strstr(err, "secret key") != NULL);
	/* the secret never appears in a message */
	T_ASSERT(strstr(err, strchr(sec, '\n') + 1) == NULL);
	keys_free(&a);
}

/* Damaged typed files: each a clear 78, never a key that decodes to
 * something else. */
static void
typed_key_bad_files(void)
{
	static const char *bad[] = {
		"cellos-telemetry ed25519 secret key\n",               /* no key */
		"cellos-telemetry ed25519 secret key",                  /* no line */
		"cellos-telemetry ed25519 private key\nAAAA\n",       /* kind */
		"cellos-telemetry rsa secret key\nAAAA\n",            /* alg */
		"cellos-telemetry hmac-sha256 public key\nAAAA\n",    /* no such */
		"cellos-telemetry ed25519 secret key id=x\nAAAA\n",   /* kid= */
		"cellos-telemetry ed25519 secret key kid=a b\nAAAA\n",/* junk */
	};
	char text[300], err[512], *nl;
	struct key a, k;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		T_EQ_INT(keys_from_text(bad[i], strlen(bad[i]), ALG_ED25519, &k,
		    err, sizeof(err)), 78);
	}
	keys_generate(ALG_ED25519, &a);
	keys_text(&a, 0, text, sizeof(text));
	nl = strchr(text, '\n');
	/* truncated key */
	text[strlen(text) - 5] = '\0';
	T_EQ_INT(keys_from_text(text, strlen(text), ALG_ED25519, &k, err, sizeof(err)), 78);
	/* padded with garbage, mixed alphabet, a second key line */
	keys_text(&a, 0, text, sizeof(text));
	snprintf(text + strlen(text) - 1, 20, "=junk\n");
	T_EQ_INT(keys_from_text(text, strlen(text), ALG_ED25519, &k, err, sizeof(err)), 78);
	keys_text(&a, 0, text, sizeof(text));
	nl = strchr(text, '\n');
	nl[1] = nl[1] == '-' ? '+' : '/';
	T_EQ_INT(keys_from_text(text, strlen(text), ALG_ED25519, &k, err, sizeof(err)), 78);
	keys_text(&a, 0, text, sizeof(text));
	strcat(text, "AAAA\n");
	T_EQ_INT(keys_from_text(text, strlen(text), ALG_ED25519, &k, err, sizeof(err)), 78);
	/* an edited first line: the kid no longer matches the key */
	keys_text(&a, 0, text, sizeof(text));
	nl = strstr(text, "kid=ed25519:") + 12;
	*nl = *nl == '0' ? '1' : '0';
	T_EQ_INT(keys_from_text(text, strlen(text), ALG_ED25519, &k, err, sizeof(err)), 78);
	T_ASSERT(strstr(err, "edited or damaged") != NULL);
	keys_free(&a);
}

/* HMAC key ids: a MAC of a fixed label, not a plain hash of the secret.
 * Expected value from Python's hmac module for 32 bytes of 0x07. */
static void
hmac_kid_known_answer(void)
{
	char err[256];
	struct key k;

	T_EQ_INT(keys_from_text("BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc", 43,
	    ALG_HMAC, &k, err, sizeof(err)), 0);
	T_EQ_STR(k.kid, "hmac-sha256:080490435aea0238");
	keys_free(&k);
}

void
keys_tests(void)
{
	RUN(ed25519_rfc8032_test1);
	RUN(hmac_rfc4231_case1);
	RUN(key_text_rules);
	RUN(key_file_rules);
	RUN(env_key_wiped);
	RUN(generated_keys_round_trip);
	RUN(typed_key_confusion_refused);
	RUN(typed_key_bad_files);
	RUN(hmac_kid_known_answer);
	if (tmpdir[0]) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
}
