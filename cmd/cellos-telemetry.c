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
#include "verify_line.h"
#include "verify_report.h"
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
"                             [--keys-json FILE]... [--partial]\n"
"                             [--expect-cell ID] [--expect-run ID]\n"
"                             [--expect-stream ID] [--single-stream]\n"
"                             [--print | --output FILE] [--report FILE]\n"
"                             [--state FILE] [--jobs N] [--partition I/N]\n"
"                             [FILE...]\n"
"       cellos-telemetry verify --merge-reports [--report FILE] REPORT...\n"
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
"usage: cellos-telemetry verify [options] [FILE...]\n"
"       cellos-telemetry verify --merge-reports [--report FILE] REPORT...\n"
"\n"
"Check cellos-telemetryd streams as a fleet holds them: FILEs (or - for\n"
"stdin; none: stdin) with chunks of any number of streams in any order,\n"
"duplicates and all. Each line must be canonical and signed (or chained to\n"
"a seal) by a trusted key; each stream is read in sequence order and its\n"
"missing, unproven, duplicate and forged lines reported. Problems and a\n"
"summary naming every stream go to stderr.\n"
"  --public-key FILE    trust an Ed25519 public key (a PREFIX.pub file)\n"
"  --hmac-key FILE      trust an HMAC secret key file (mode 0600); its lines\n"
"                       verify whatever kid they carry\n"
"  --keys-json FILE     trust {\"kid\": \"base64url public key\", ...}\n"
"  --partial            streams may start after started and end before\n"
"                       stopped (chunks, running streams)\n"
"  --expect-cell ID     every line must be of this cell\n"
"  --expect-run ID      every line must be of this run\n"
"  --expect-stream ID   every line must be of this stream\n"
"  --single-stream      every line must be of one stream (the first found)\n"
"  --print              write verified lines to stdout, in order, once\n"
"  --output FILE        write verified lines to FILE, renamed into place\n"
"                       only when everything verified\n"
"  --report FILE        a JSON report (one line per stream, then the totals;\n"
"                       - for stdout)\n"
"  --state FILE         keep each stream's cursor between runs, to verify\n"
"                       chunks once as they land (written atomically)\n"
"  --jobs N             verify streams on N threads (1..256, default 1)\n"
"  --partition I/N      only the streams whose id falls in partition I of N\n"
"  --merge-reports      merge the JSON reports of partitions into one\n"
"Exit 0: everything verified and nothing missing; 1: tampering; 2: nothing\n"
"forged but incomplete; 64 usage; 66 an input missing.\n";

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

enum {
	OPT_PUBKEY = OPT_FIRST, OPT_HMACKEY, OPT_KEYSJSON, OPT_PRINT,
	OPT_OUTPUT, OPT_REPORT, OPT_STATE, OPT_PARTIAL, OPT_EXPECT_CELL,
	OPT_EXPECT_RUN, OPT_EXPECT_STREAM, OPT_SINGLE, OPT_JOBS, OPT_PARTITION,
	OPT_MERGE
};

static struct verify_config vc;
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
	if (verify_keys_add_ed25519(&vc.keys, kid, pk) != 0)
		die(EXIT_USAGE, "too many keys (at most %d)", VERIFY_MAX_KEYS);
}

static void
add_hmac_key(const char *path)
{
	char err[512], head[128] = "";
	FILE *f;
	int rc;

	if (nhkeys == VERIFY_MAX_KEYS)
		die(EXIT_USAGE, "too many keys (at most %d)", VERIFY_MAX_KEYS);
	/* a public key file is not a secret, whatever its mode: say so
	 * before the secret key checks complain about its mode */
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(head, sizeof(head), f) == NULL)
			head[0] = '\0';
		fclose(f);
		if (strncmp(head, KEYS_MAGIC, strlen(KEYS_MAGIC)) == 0 &&
		    strstr(head, " public key") != NULL)
			die(EXIT_CONFIG, "--hmac-key %s: this is an Ed25519 public "
			    "key file; pass it with --public-key (--hmac-key "
			    "takes the HMAC secret key the daemon signed with)",
			    path);
	}
	rc = keys_load_file(path, ALG_HMAC, &hkeys[nhkeys], err, sizeof(err));
	if (rc != 0)
		die(rc, "%s", err);
	if (verify_keys_add_hmac(&vc.keys, &hkeys[nhkeys]) != 0)
		die(EXIT_USAGE, "too many keys (at most %d)", VERIFY_MAX_KEYS);
	nhkeys++;
}

static const char *
id_arg(const char *name, const char *arg)
{
	if (arg[0] == '\0' || strlen(arg) >= VERIFY_ID_MAX)
		usage_fail("--%s: expected an id of 1 to %d bytes", name,
		    VERIFY_ID_MAX - 1);
	return arg;
}

static void
partition_arg(const char *arg)
{
	char a[32], *slash;

	snprintf(a, sizeof(a), "%s", arg);
	slash = strchr(a, '/');
	if (strlen(arg) >= sizeof(a) || slash == NULL)
		usage_fail("--partition %s: expected I/N, such as 0/4", arg);
	*slash = '\0';
	if (parse_u64(slash + 1, 1, 1u << 20, &vc.part_n) != 0 ||
	    parse_u64(a, 0, vc.part_n - 1, &vc.part_i) != 0)
		usage_fail("--partition %s: expected I/N with 0 <= I < N <= %u",
		    arg, 1u << 20);
}

static int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "public-key", required_argument, NULL, OPT_PUBKEY },
		{ "hmac-key", required_argument, NULL, OPT_HMACKEY },
		{ "keys-json", required_argument, NULL, OPT_KEYSJSON },
		{ "print", no_argument, NULL, OPT_PRINT },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "report", required_argument, NULL, OPT_REPORT },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "partial", no_argument, NULL, OPT_PARTIAL },
		{ "expect-cell", required_argument, NULL, OPT_EXPECT_CELL },
		{ "expect-run", required_argument, NULL, OPT_EXPECT_RUN },
		{ "expect-stream", required_argument, NULL, OPT_EXPECT_STREAM },
		{ "single-stream", no_argument, NULL, OPT_SINGLE },
		{ "jobs", required_argument, NULL, OPT_JOBS },
		{ "partition", required_argument, NULL, OPT_PARTITION },
		{ "merge-reports", no_argument, NULL, OPT_MERGE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned seen = 0;
	int c, rc, merge = 0;
	char err[600];
	size_t i;

	verify_config_init(&vc);
	while ((c = next_opt(argc, argv, opts, &seen, 1u << OPT_PUBKEY |
	    1u << OPT_HMACKEY | 1u << OPT_KEYSJSON)) != -1) {
		switch (c) {
		case OPT_PUBKEY: add_public_key(optarg); break;
		case OPT_HMACKEY: add_hmac_key(optarg); break;
		case OPT_KEYSJSON:
			if ((rc = verify_keys_add_json(&vc.keys, optarg, err,
			    sizeof(err))) != 0)
				die(rc, "%s", err);
			break;
		case OPT_PRINT: vc.print = 1; break;
		case OPT_OUTPUT: vc.output = optarg; break;
		case OPT_REPORT: vc.report = optarg; break;
		case OPT_STATE: vc.state = optarg; break;
		case OPT_PARTIAL: vc.partial = 1; break;
		case OPT_EXPECT_CELL:
			vc.expect_cell = id_arg("expect-cell", optarg);
			break;
		case OPT_EXPECT_RUN:
			vc.expect_run = id_arg("expect-run", optarg);
			break;
		case OPT_EXPECT_STREAM:
			if (strlen(optarg) != 32 || !verify_is_streamid(optarg))
				usage_fail("--expect-stream %s: expected 32 "
				    "lowercase hex characters", optarg);
			vc.expect_stream = optarg;
			break;
		case OPT_SINGLE: vc.single_stream = 1; break;
		case OPT_JOBS:
			vc.jobs = (unsigned)num_arg("jobs", optarg, 1,
			    VERIFY_MAX_JOBS);
			break;
		case OPT_PARTITION: partition_arg(optarg); break;
		case OPT_MERGE: merge = 1; break;
		}
	}
	if (merge) {
		FILE *out = stdout;
		char tmp[4200];

		if (seen & ~(1u << OPT_MERGE | 1u << OPT_REPORT))
			usage_fail("--merge-reports takes only --report and the "
			    "reports to merge");
		if (argc - optind < 1)
			usage_fail("--merge-reports: expected REPORT files");
		if (vc.report != NULL && strcmp(vc.report, "-") != 0) {
			int fd;

			snprintf(tmp, sizeof(tmp), "%s.XXXXXX", vc.report);
			if ((fd = mkstemp(tmp)) < 0 ||
			    (out = fdopen(fd, "w")) == NULL)
				die(EXIT_OSERR, "cannot create %s: %s", tmp,
				    strerror(errno));
		}
		rc = verify_report_merge(argv + optind, (size_t)(argc - optind),
		    out, stderr, err, sizeof(err));
		if (out != stdout) {
			int bad = fflush(out) != 0 || fclose(out) != 0;

			if (rc >= EXIT_USAGE || bad || rename(tmp, vc.report) != 0)
				unlink(tmp);
			if (bad && rc < EXIT_USAGE) {
				snprintf(err, sizeof(err), "writing %s: %s",
				    vc.report, strerror(errno));
				rc = EXIT_IOERR;
			}
		}
		if (rc >= EXIT_USAGE)
			die(rc, "%s", err);
		return rc;
	}
	if (vc.keys.n == 0)
		usage_fail("no key given: pass --public-key, --hmac-key or "
		    "--keys-json");
	if (vc.print && vc.output != NULL)
		usage_fail("--print and --output exclude each other");
	if (vc.print && vc.report != NULL && strcmp(vc.report, "-") == 0)
		usage_fail("--report - and --print would share stdout; give "
		    "--report a FILE, or use --output");
	if (vc.single_stream && vc.part_n > 0)
		usage_fail("--single-stream and --partition exclude each other: "
		    "each partition would pick its own stream");
	rc = verify_run(&vc, argv + optind, (size_t)(argc - optind));
	for (i = 0; i < nhkeys; i++)
		keys_free(&hkeys[i]);
	return rc;
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
