/*
 * cellos-telemetry - companion CLI: keygen, pubkey, emit (a guest
 * simulator), decode and verify. A table of subcommands, each with its own
 * options; the work is in src/ (keys, sim, inspect, verify).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "buf.h"
#include "clock.h"
#include "version.h"
#include "encode.h"
#include "inspect.h"
#include "keys.h"
#include "sim.h"
#include "util.h"
#include "verify.h"
#include "wire.h"

static const char usage_main[] =
"usage: cellos-telemetry keygen [--alg ed25519|hmac-sha256] PREFIX\n"
"       cellos-telemetry pubkey [--pem] [--alg ed25519|hmac-sha256] FILE\n"
"       cellos-telemetry emit --uds PATH [--count N] [--rate R]\n"
"                             [--probe-source S] [--pid N] [--comm S]\n"
"                             [--content-version V] [--jsonl | --hex]\n"
"                             [--linger DUR] [--wait DUR]\n"
"       cellos-telemetry decode [--max-frame-bytes N]\n"
"       cellos-telemetry verify [--public-key FILE]... [--hmac-key FILE]...\n"
"                             [--keys-json FILE] [--print] [FILE]\n"
"\n"
"Run 'cellos-telemetry COMMAND --help' for one command.\n";

static const char usage_keygen[] =
"usage: cellos-telemetry keygen [--alg ed25519|hmac-sha256] PREFIX\n"
"\n"
"Create PREFIX.key (mode 0600, the secret key) and, for ed25519,\n"
"PREFIX.pub (the public key). Each file's first line says what it is\n"
"('cellos-telemetry ed25519 secret key kid=...'), the second is the\n"
"base64url key. Never overwrites. Prints the key id.\n";

static const char usage_pubkey[] =
"usage: cellos-telemetry pubkey [--pem] [--alg ed25519|hmac-sha256] FILE\n"
"\n"
"Print the public key (ed25519, base64url) and the key id of FILE, a\n"
"secret or a public key file.\n"
"  --pem    print the Ed25519 public key as an SPKI PEM block instead,\n"
"           for 'openssl pkeyutl -verify -rawin -pubin -inkey'\n"
"  --alg    the algorithm of a bare (untyped) secret key file\n"
"           (default ed25519)\n";

static const char usage_emit[] =
"usage: cellos-telemetry emit --uds PATH [options]\n"
"\n"
"Act as the guest agent: connect to PATH and send frames.\n"
"  --uds PATH              socket to connect to (the daemon's <uds-base>_9001)\n"
"  --count N               frames to send (default 1)\n"
"  --rate R                frames per second, 0 = as fast as possible (default 0)\n"
"  --probe-source S        probe_source (default process.spawned)\n"
"  --pid N                 guest_pid (default 1)\n"
"  --comm S                guest_comm (default emit)\n"
"  --content-version V     content_version (default 256, i.e. v1.0)\n"
"  --jsonl                 read one JSON object per line on stdin; each becomes\n"
"                          one frame, members encoded as CBOR in order\n"
"  --hex                   read hex on stdin and send those bytes as they are\n"
"                          (no length prefix added): for bad-input tests\n"
"  --linger DUR            keep the connection open DUR after sending\n"
"  --wait DUR              wait up to DUR for the socket to appear (a daemon\n"
"                          still starting)\n";

static const char usage_decode[] =
"usage: cellos-telemetry decode [--max-frame-bytes N] < frames\n"
"\n"
"Read length-prefixed frames on stdin; print one JSON object per frame:\n"
"the decoded fields, or the rejection reason and detail.\n"
"Exit 0 when every frame decoded, 1 when any was rejected.\n";

static const char usage_verify[] =
"usage: cellos-telemetry verify [--public-key FILE]... [--hmac-key FILE]...\n"
"                               [--keys-json FILE] [--print] [FILE]\n"
"\n"
"Check every line of a cellos-telemetryd stream (FILE or stdin): CloudEvents\n"
"attributes, signature, known key id, contiguous sequence per stream, no\n"
"duplicates, a consistent stopped line. Problems and a summary go to stderr.\n"
"  --public-key FILE   Ed25519 public key (a PREFIX.pub file)\n"
"  --hmac-key FILE     HMAC secret key file (mode 0600)\n"
"  --keys-json FILE    {\"kid\": \"base64url public key\", ...}\n"
"  --print             copy verified lines to stdout\n"
"Exit 0 only when everything verified.\n";

static const char *usage;        /* of the running subcommand */
static char usage_hint[2048];   /* "\n" + usage */

#define usage_fail(...) die_usage(usage_hint, __VA_ARGS__)

/* Options are numbered from OPT_FIRST so the repeat check can index seen[]. */
#define OPT_FIRST 1
#define OPT_MAX 16

/*
 * getopt_long wrapper: --help prints usage and exits 0, unknown options are
 * usage errors, a repeated single-value option too unless its bit is in
 * repeatable.
 */
static int
next_opt(int argc, char **argv, const struct option *opts, unsigned *seen,
    unsigned repeatable)
{
	int c;

	opterr = 0;             /* one message, ours, with a suggestion */
	c = getopt_long(argc, argv, "+:h", opts, NULL);
	if (c == 'h') {
		fputs(usage, stdout);
		exit(0);
	}
	if (c == ':')
		usage_fail("%s needs a value", argv[optind - 1]);
	if (c == '?') {
		const char *near = util_nearest_option(argv[optind - 1], opts);

		if (near != NULL)
			usage_fail("unknown option %s; did you mean --%s?",
			    argv[optind - 1], near);
		usage_fail("unknown option %s", argv[optind - 1]);
	}
	if (c >= OPT_FIRST && c < OPT_MAX && !(repeatable & (1u << c))) {
		if (*seen & (1u << c))
			usage_fail("--%s given twice", opts[c - OPT_FIRST].name);
		*seen |= 1u << c;
	}
	return c;
}

static uint64_t
num_arg(const char *name, const char *arg, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (parse_u64(arg, min, max, &v) != 0)
		usage_fail("--%s %s: expected a whole number from %llu to %llu",
		    name, arg, (unsigned long long)min, (unsigned long long)max);
	return v;
}

static enum key_alg
alg_arg(const char *s)
{
	enum key_alg a;

	if (keys_alg_parse(s, &a) != 0 || a == ALG_OFF)
		usage_fail("--alg %s: expected ed25519 or hmac-sha256", s);
	return a;
}

/* Exactly n operands after the options (what names them). */
static void
want_args(int argc, char **argv, int n, const char *what)
{
	if (argc - optind > n)
		usage_fail("unexpected argument '%s'", argv[optind + n]);
	if (argc - optind < n)
		usage_fail("expected %s", what);
}

/* ---- keygen, pubkey ---- */

enum { OPT_ALG = OPT_FIRST, OPT_PEM };

static const struct option alg_opts[] = {
	{ "alg", required_argument, NULL, OPT_ALG },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_keygen(int argc, char **argv)
{
	enum key_alg alg = ALG_ED25519;
	unsigned seen = 0;
	char err[512];
	struct key k;
	int c, rc;

	while ((c = next_opt(argc, argv, alg_opts, &seen, 0)) != -1)
		if (c == OPT_ALG)
			alg = alg_arg(optarg);
	want_args(argc, argv, 1, "one PREFIX");
	keys_generate(alg, &k);
	rc = keys_save(&k, argv[optind], err, sizeof(err));
	if (rc != 0)
		die(rc, "%s", err);
	printf("%s\n", k.kid);
	keys_free(&k);
	return 0;
}

static int
cmd_pubkey(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "alg", required_argument, NULL, OPT_ALG },
		{ "pem", no_argument, NULL, OPT_PEM },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum key_alg alg = ALG_ED25519;
	unsigned seen = 0;
	char err[512], text[256];
	struct key k;
	int c, rc, pem = 0;

	while ((c = next_opt(argc, argv, opts, &seen, 0)) != -1) {
		if (c == OPT_ALG)
			alg = alg_arg(optarg);
		else if (c == OPT_PEM)
			pem = 1;
	}
	want_args(argc, argv, 1, "one key FILE");
	rc = keys_load_any(argv[optind], alg, &k, err, sizeof(err));
	if (rc != 0)
		die(rc, "%s", err);
	if (pem && k.alg != ALG_ED25519)
		die(EXIT_USAGE, "%s is an HMAC key: it has no public key to print "
		    "as PEM", argv[optind]);
	if (pem) {
		keys_pem(k.pk, text, sizeof(text));
		fputs(text, stdout);
	} else {
		if (k.alg == ALG_ED25519) {
			b64url_encode(k.pk, sizeof(k.pk), text);
			printf("%s\n", text);
		}
		printf("%s\n", k.kid);
	}
	keys_free(&k);
	return 0;
}

/* ---- emit ---- */

enum {
	OPT_UDS = OPT_FIRST, OPT_COUNT, OPT_RATE, OPT_SOURCE, OPT_PID, OPT_COMM,
	OPT_VERSION, OPT_JSONL, OPT_HEX, OPT_LINGER, OPT_WAIT
};

static void
text_arg(const char *name, const char *arg, char *out, size_t cap)
{
	if (strlen(arg) > WIRE_MAX_TEXT)
		usage_fail("--%s %s: over %d bytes", name, arg, WIRE_MAX_TEXT);
	snprintf(out, cap, "%s", arg);
}

static int
cmd_emit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "uds", required_argument, NULL, OPT_UDS },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "probe-source", required_argument, NULL, OPT_SOURCE },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "comm", required_argument, NULL, OPT_COMM },
		{ "content-version", required_argument, NULL, OPT_VERSION },
		{ "jsonl", no_argument, NULL, OPT_JSONL },
		{ "hex", no_argument, NULL, OPT_HEX },
		{ "linger", required_argument, NULL, OPT_LINGER },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *uds = NULL;
	uint64_t count = 1, rate = 0, linger_ms = 0, wait_ms = 0;
	struct wire_frame f = { .content_version = WIRE_CONTENT_VERSION,
	    .guest_pid = 1, .probe_source = "process.spawned",
	    .guest_comm = "emit" };
	unsigned seen = 0;
	int c, jsonl = 0, hex = 0;
	struct sim s;
	struct buf in;

	while ((c = next_opt(argc, argv, opts, &seen, 0)) != -1) {
		switch (c) {
		case OPT_UDS: uds = optarg; break;
		case OPT_COUNT: count = num_arg("count", optarg, 0, UINT64_MAX); break;
		case OPT_RATE: rate = num_arg("rate", optarg, 0, 10000000); break;
		case OPT_SOURCE:
			text_arg("probe-source", optarg, f.probe_source,
			    sizeof(f.probe_source));
			break;
		case OPT_PID:
			f.guest_pid = (uint32_t)num_arg("pid", optarg, 0, 0xFFFFFFFFu);
			break;
		case OPT_COMM:
			text_arg("comm", optarg, f.guest_comm, sizeof(f.guest_comm));
			break;
		case OPT_VERSION:
			f.content_version = (uint16_t)num_arg("content-version",
			    optarg, 0, 0xFFFF);
			break;
		case OPT_JSONL: jsonl = 1; break;
		case OPT_HEX: hex = 1; break;
		case OPT_LINGER:
			if (parse_duration_ms(optarg, &linger_ms) != 0)
				usage_fail("--linger %s: expected a duration such "
				    "as 250ms or 2s", optarg);
			break;
		case OPT_WAIT:
			if (parse_duration_ms(optarg, &wait_ms) != 0)
				usage_fail("--wait %s: expected a duration such "
				    "as 250ms or 2s", optarg);
			break;
		}
	}
	want_args(argc, argv, 0, "no operands");
	if (uds == NULL)
		usage_fail("--uds PATH is required");
	if (jsonl && hex)
		usage_fail("--jsonl and --hex exclude each other");

	buf_init(&in, 65536, 256u << 20);
	if (jsonl || hex)
		sim_read_stdin(&in);
	sim_connect(&s, uds, rate, wait_ms);
	if (hex) {
		fprintf(stderr, "emit: sent %zu raw bytes to %s\n",
		    sim_send_hex(&s, in.p, in.len), uds);
	} else {
		if (jsonl)
			sim_send_jsonl(&s, in.p, in.len);
		else
			sim_send_frames(&s, &f, count);
		fprintf(stderr, "emit: sent %llu frames to %s\n",
		    (unsigned long long)s.sent, uds);
	}
	if (linger_ms)
		sim_sleep_until(mono_ns() + linger_ms * 1000000ull);
	sim_close(&s);
	buf_free(&in);
	return 0;
}

/* ---- decode ---- */

enum { OPT_MAXFRAME = OPT_FIRST };

static int
cmd_decode(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max-frame-bytes", required_argument, NULL, OPT_MAXFRAME },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t max = WIRE_MAX_FRAME_DEFAULT;
	unsigned seen = 0;
	int c;

	while ((c = next_opt(argc, argv, opts, &seen, 0)) != -1)
		if (c == OPT_MAXFRAME)
			max = num_arg("max-frame-bytes", optarg,
			    WIRE_MAX_FRAME_MIN, WIRE_MAX_FRAME_MAX);
	want_args(argc, argv, 0, "no operands");
	return inspect_frames(STDIN_FILENO, max, stdout);
}

/* ---- verify ---- */

enum { OPT_PUBKEY = OPT_FIRST, OPT_HMACKEY, OPT_KEYSJSON, OPT_PRINT };

static struct verify v;
static struct key hkeys[VERIFY_MAX_KEYS];
static size_t nhkeys;

static void
add_public_key(const char *path)
{
	unsigned char pk[32];
	char err[512], kid[KEY_KID_MAX];
	int rc = keys_load_public(path, pk, err, sizeof(err));

	if (rc != 0)
		die(rc, "%s", err);
	keys_kid(ALG_ED25519, pk, sizeof(pk), kid, sizeof(kid));
	if (verify_add_ed25519(&v, kid, pk) != 0)
		die(EXIT_USAGE, "too many keys (at most %d)", VERIFY_MAX_KEYS);
}

static void
add_hmac_key(const char *path)
{
	char err[512];
	int rc;

	if (nhkeys == VERIFY_MAX_KEYS)
		die(EXIT_USAGE, "too many keys (at most %d)", VERIFY_MAX_KEYS);
	rc = keys_load_file(path, ALG_HMAC, &hkeys[nhkeys], err, sizeof(err));
	if (rc != 0)
		die(rc, "%s", err);
	if (verify_add_hmac(&v, &hkeys[nhkeys]) != 0)
		die(EXIT_USAGE, "too many keys (at most %d)", VERIFY_MAX_KEYS);
	nhkeys++;
}

/* The closing summary on stderr; 0 only when everything verified. */
static int
verify_report(void)
{
	char why[256];
	int open_streams = verify_finish(&v, why, sizeof(why));

	if (open_streams)
		fprintf(stderr, "verify: %s\n", why);
	if (v.bad_lines == 0 && open_streams == 0 && v.ok_lines > 0) {
		fprintf(stderr, "verify: OK: %llu lines in %zu stream(s)\n",
		    (unsigned long long)v.ok_lines, v.nstreams);
		return 0;
	}
	fprintf(stderr, "verify: FAILED: %llu of %llu lines bad, %d stream(s) "
	    "without stopped\n", (unsigned long long)v.bad_lines,
	    (unsigned long long)v.lineno, open_streams);
	return 1;
}

static int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "public-key", required_argument, NULL, OPT_PUBKEY },
		{ "hmac-key", required_argument, NULL, OPT_HMACKEY },
		{ "keys-json", required_argument, NULL, OPT_KEYSJSON },
		{ "print", no_argument, NULL, OPT_PRINT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned seen = 0;
	int c, rc, print = 0;
	char err[512];
	FILE *in = stdin;
	size_t i;

	verify_init(&v);
	while ((c = next_opt(argc, argv, opts, &seen,
	    1u << OPT_PUBKEY | 1u << OPT_HMACKEY)) != -1) {
		switch (c) {
		case OPT_PUBKEY: add_public_key(optarg); break;
		case OPT_HMACKEY: add_hmac_key(optarg); break;
		case OPT_KEYSJSON:
			if ((rc = verify_add_keys_json(&v, optarg, err,
			    sizeof(err))) != 0)
				die(rc, "%s", err);
			break;
		case OPT_PRINT: print = 1; break;
		}
	}
	if (argc - optind > 1)
		want_args(argc, argv, 1, "at most one FILE");
	if (v.nkeys == 0)
		usage_fail("no key given: pass --public-key, --hmac-key or "
		    "--keys-json");
	if (argc - optind == 1 && strcmp(argv[optind], "-") != 0) {
		in = fopen(argv[optind], "r");
		if (in == NULL)
			die(EXIT_NOINPUT, "cannot open %s: %s", argv[optind],
			    strerror(errno));
	}
	verify_stream(&v, in, print ? stdout : NULL);
	if (in != stdin)
		fclose(in);
	for (i = 0; i < nhkeys; i++)
		keys_free(&hkeys[i]);
	return verify_report();
}

/* ---- dispatch ---- */

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
};

static const struct cmd cmds[] = {
	{ "keygen", cmd_keygen, usage_keygen },
	{ "pubkey", cmd_pubkey, usage_pubkey },
	{ "emit", cmd_emit, usage_emit },
	{ "decode", cmd_decode, usage_decode },
	{ "verify", cmd_verify, usage_verify },
};

int
main(int argc, char **argv)
{
	const char *name;
	size_t i;

	/* keygen, pubkey and verify hold secret keys: no other process of
	 * our uid may read them from our memory (nor a core dump, below) */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	util_set_progname("cellos-telemetry");
	/* keygen, pubkey and verify hold secret keys: never in a core dump */
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	if (sodium_init() < 0)
		die(EXIT_OSERR, "libsodium failed to initialise");
	json_set_alloc_funcs(xmalloc, free);
	if (argc < 2) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
	    strcmp(name, "help") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (strcmp(name, "--version") == 0) {
		printf("cellos-telemetry %s\n", VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(name, cmds[i].name) == 0) {
			usage = cmds[i].usage;
			snprintf(usage_hint, sizeof(usage_hint), "\n%s", usage);
			return cmds[i].fn(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "cellos-telemetry: unknown command '%s'\n\n%s", name,
	    usage_main);
	return EXIT_USAGE;
}
