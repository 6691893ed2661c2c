/*
 * cellos-telemetry - companion CLI: keygen, pubkey, emit (a guest
 * simulator), decode and verify. Option parsing and dispatch; the work is in
 * src/ (wire, keys, sign, verify).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cbor.h>
#include <jansson.h>
#include <sodium.h>

#include "buf.h"
#include "clock.h"
#include "config.h"
#include "encode.h"
#include "jcs.h"
#include "keys.h"
#include "sign.h"
#include "util.h"
#include "verify.h"
#include "wire.h"

static const char usage_main[] =
"usage: cellos-telemetry keygen [--alg ed25519|hmac-sha256] PREFIX\n"
"       cellos-telemetry pubkey [--alg ed25519|hmac-sha256] FILE\n"
"       cellos-telemetry emit --uds PATH [--count N] [--rate R]\n"
"                             [--probe-source S] [--pid N] [--comm S]\n"
"                             [--content-version V] [--jsonl | --hex]\n"
"                             [--linger DUR]\n"
"       cellos-telemetry decode [--max-frame-bytes N]\n"
"       cellos-telemetry verify [--public-key FILE]... [--hmac-key FILE]...\n"
"                             [--keys-json FILE] [--print] [FILE]\n"
"\n"
"Run 'cellos-telemetry COMMAND --help' for one command.\n";

static const char usage_keygen[] =
"usage: cellos-telemetry keygen [--alg ed25519|hmac-sha256] PREFIX\n"
"\n"
"Create PREFIX.key (mode 0600, base64url secret) and, for ed25519,\n"
"PREFIX.pub (base64url public key). Never overwrites. Prints the key id.\n";

static const char usage_pubkey[] =
"usage: cellos-telemetry pubkey [--alg ed25519|hmac-sha256] FILE\n"
"\n"
"Print the public key (ed25519) and the key id of secret key FILE.\n";

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
"  --linger DUR            keep the connection open DUR after sending\n";

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

static void
usage_fail(const char *usage, const char *fmt, const char *arg)
{
	fprintf(stderr, "cellos-telemetry: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n\n%s", usage);
	exit(EXIT_USAGE);
}

/* getopt_long wrapper: --help prints usage and exits 0, unknown options are
 * usage errors, a repeated single-value option too (bit in *seen). */
static int
next_opt(int argc, char **argv, const struct option *opts, const char *usage,
    unsigned *seen, unsigned repeatable)
{
	int c = getopt_long(argc, argv, "+h", opts, NULL);

	if (c == 'h') {
		fputs(usage, stdout);
		exit(0);
	}
	if (c == '?' || c == ':')
		usage_fail(usage, "%s", "invalid option");
	if (c > 0 && c < 32 && !(repeatable & (1u << c))) {
		if (*seen & (1u << c))
			usage_fail(usage, "--%s given twice", opts[c - 1].name);
		*seen |= 1u << c;
	}
	return c;
}

static uint64_t
num_arg(const char *usage, const char *name, const char *arg, uint64_t min,
    uint64_t max)
{
	uint64_t v;
	char msg[160];

	if (parse_u64(arg, min, max, &v) != 0) {
		snprintf(msg, sizeof(msg), "--%s %%s: expected a whole number from "
		    "%llu to %llu", name, (unsigned long long)min,
		    (unsigned long long)max);
		usage_fail(usage, msg, arg);
	}
	return v;
}

/* ---- keygen, pubkey ---- */

static int
write_new_file(const char *path, const char *text, mode_t mode)
{
	size_t n = strlen(text), off = 0;
	int fd;

	/* exclusive and no symlinks: never overwrite, never follow */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		if (errno == EEXIST)
			die(EXIT_INUSE, "%s already exists; refusing to overwrite "
			    "a key (choose another PREFIX or remove it)", path);
		die(EXIT_OSERR, "cannot create %s: %s", path, strerror(errno));
	}
	while (off < n) {
		ssize_t w = write(fd, text + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die(EXIT_IOERR, "cannot write %s: %s", path, strerror(errno));
		off += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0)
		die(EXIT_IOERR, "cannot write %s: %s", path, strerror(errno));
	return 0;
}

static enum key_alg
alg_arg(const char *usage, const char *s)
{
	enum key_alg a;

	if (keys_alg_parse(s, &a) != 0 || a == ALG_OFF)
		usage_fail(usage, "--alg %s: expected ed25519 or hmac-sha256", s);
	return a;
}

static int
cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "alg", required_argument, NULL, 1 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum key_alg alg = ALG_ED25519;
	unsigned seen = 0;
	char path[4096], *text, pub[64];
	struct key k;
	int c;

	while ((c = next_opt(argc, argv, opts, usage_keygen, &seen, 0)) != -1)
		if (c == 1)
			alg = alg_arg(usage_keygen, optarg);
	if (argc - optind != 1)
		usage_fail(usage_keygen, "%s", "expected one PREFIX");
	keys_generate(alg, &k);
	text = sodium_malloc(128);
	if (text == NULL)
		die(EXIT_OSERR, "cannot allocate locked memory");
	keys_secret_text(&k, text);
	text[strlen(text) + 1] = '\0';
	text[strlen(text)] = '\n';
	if ((size_t)snprintf(path, sizeof(path), "%s.key", argv[optind]) >= sizeof(path))
		die(EXIT_USAGE, "PREFIX is too long");
	write_new_file(path, text, 0600);
	sodium_free(text);
	if (alg == ALG_ED25519) {
		b64url_encode(k.pk, sizeof(k.pk), pub);
		pub[strlen(pub) + 1] = '\0';
		pub[strlen(pub)] = '\n';
		snprintf(path, sizeof(path), "%s.pub", argv[optind]);
		write_new_file(path, pub, 0644);
	}
	printf("%s\n", k.kid);
	keys_free(&k);
	return 0;
}

static int
cmd_pubkey(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "alg", required_argument, NULL, 1 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum key_alg alg = ALG_ED25519;
	unsigned seen = 0;
	char err[512], pub[64];
	struct key k;
	int c, rc;

	while ((c = next_opt(argc, argv, opts, usage_pubkey, &seen, 0)) != -1)
		if (c == 1)
			alg = alg_arg(usage_pubkey, optarg);
	if (argc - optind != 1)
		usage_fail(usage_pubkey, "%s", "expected one key FILE");
	rc = keys_load_file(argv[optind], alg, &k, err, sizeof(err));
	if (rc != 0)
		die(rc, "%s", err);
	if (alg == ALG_ED25519) {
		b64url_encode(k.pk, sizeof(k.pk), pub);
		printf("%s\n", pub);
	}
	printf("%s\n", k.kid);
	keys_free(&k);
	return 0;
}

/* ---- emit ---- */

static int
connect_uds(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		die(EXIT_USAGE, "socket path %s is longer than %zu bytes", path,
		    sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(EXIT_OSERR, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die(EXIT_NOINPUT, "cannot connect to %s: %s; is cellos-telemetryd "
		    "running with this --uds-base?", path, strerror(errno));
	return fd;
}

static void
send_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die(EXIT_IOERR, "send: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

static void
sleep_until(uint64_t t)
{
	uint64_t now = mono_ns();

	if (t > now) {
		struct timespec ts = { (time_t)((t - now) / 1000000000u),
		    (long)((t - now) % 1000000000u) };
		nanosleep(&ts, NULL);
	}
}

/* Encode a JSON value as CBOR into b (for crafting frames, floats included). */
static int
json_to_cbor(const json_t *v, struct buf *b, int depth)
{
	uint8_t h[16];
	size_t n, i;
	const char *key;
	json_t *val;

	if (depth > 32)
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		n = cbor_encode_map_start(json_object_size(v), h, sizeof(h));
		if (buf_add(b, h, n) != 0)
			return -1;
		json_object_foreach((json_t *)(uintptr_t)v, key, val) {
			n = cbor_encode_string_start(strlen(key), h, sizeof(h));
			if (buf_add(b, h, n) != 0 || buf_adds(b, key) != 0 ||
			    json_to_cbor(val, b, depth + 1) != 0)
				return -1;
		}
		return 0;
	case JSON_ARRAY:
		n = cbor_encode_array_start(json_array_size(v), h, sizeof(h));
		if (buf_add(b, h, n) != 0)
			return -1;
		for (i = 0; i < json_array_size(v); i++)
			if (json_to_cbor(json_array_get(v, i), b, depth + 1) != 0)
				return -1;
		return 0;
	case JSON_STRING:
		n = cbor_encode_string_start(json_string_length(v), h, sizeof(h));
		return buf_add(b, h, n) || buf_add(b, json_string_value(v),
		    json_string_length(v)) ? -1 : 0;
	case JSON_INTEGER: {
		json_int_t x = json_integer_value(v);

		n = x >= 0 ? cbor_encode_uint((uint64_t)x, h, sizeof(h)) :
		    cbor_encode_negint((uint64_t)(-(x + 1)), h, sizeof(h));
		return buf_add(b, h, n);
	}
	case JSON_REAL:
		n = cbor_encode_double(json_real_value(v), h, sizeof(h));
		return buf_add(b, h, n);
	case JSON_TRUE:
		return buf_addc(b, (char)0xf5);
	case JSON_FALSE:
		return buf_addc(b, (char)0xf4);
	case JSON_NULL:
		return buf_addc(b, (char)0xf6);
	}
	return -1;
}

static size_t
read_stdin(struct buf *b)
{
	char tmp[65536];
	ssize_t n;

	while ((n = read(STDIN_FILENO, tmp, sizeof(tmp))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die(EXIT_IOERR, "reading stdin: %s", strerror(errno));
		if (buf_add(b, tmp, (size_t)n) != 0)
			die(EXIT_USAGE, "stdin is larger than %zu bytes", b->max);
	}
	return b->len;
}

static int
cmd_emit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "uds", required_argument, NULL, 1 },
		{ "count", required_argument, NULL, 2 },
		{ "rate", required_argument, NULL, 3 },
		{ "probe-source", required_argument, NULL, 4 },
		{ "pid", required_argument, NULL, 5 },
		{ "comm", required_argument, NULL, 6 },
		{ "content-version", required_argument, NULL, 7 },
		{ "jsonl", no_argument, NULL, 8 },
		{ "hex", no_argument, NULL, 9 },
		{ "linger", required_argument, NULL, 10 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *uds = NULL;
	uint64_t count = 1, rate = 0, linger_ms = 0, sent = 0, t0;
	struct wire_frame f;
	unsigned seen = 0;
	int c, fd, jsonl = 0, hex = 0;
	struct buf in, fr;

	memset(&f, 0, sizeof(f));
	f.content_version = WIRE_CONTENT_VERSION;
	f.guest_pid = 1;
	snprintf(f.probe_source, sizeof(f.probe_source), "process.spawned");
	snprintf(f.guest_comm, sizeof(f.guest_comm), "emit");
	while ((c = next_opt(argc, argv, opts, usage_emit, &seen, 0)) != -1) {
		switch (c) {
		case 1: uds = optarg; break;
		case 2: count = num_arg(usage_emit, "count", optarg, 0, UINT64_MAX); break;
		case 3: rate = num_arg(usage_emit, "rate", optarg, 0, 10000000); break;
		case 4:
			if (strlen(optarg) > WIRE_MAX_TEXT)
				usage_fail(usage_emit, "--probe-source %s: over 64 bytes", optarg);
			snprintf(f.probe_source, sizeof(f.probe_source), "%s", optarg);
			break;
		case 5: f.guest_pid = (uint32_t)num_arg(usage_emit, "pid", optarg, 0, 0xFFFFFFFFu); break;
		case 6:
			if (strlen(optarg) > WIRE_MAX_TEXT)
				usage_fail(usage_emit, "--comm %s: over 64 bytes", optarg);
			snprintf(f.guest_comm, sizeof(f.guest_comm), "%s", optarg);
			break;
		case 7: f.content_version = (uint16_t)num_arg(usage_emit, "content-version", optarg, 0, 0xFFFF); break;
		case 8: jsonl = 1; break;
		case 9: hex = 1; break;
		case 10:
			if (parse_duration_ms(optarg, &linger_ms) != 0)
				usage_fail(usage_emit, "--linger %s: expected a duration "
				    "such as 250ms or 2s", optarg);
			break;
		}
	}
	if (optind < argc)
		usage_fail(usage_emit, "unexpected argument '%s'", argv[optind]);
	if (uds == NULL)
		usage_fail(usage_emit, "%s", "--uds PATH is required");
	if (jsonl && hex)
		usage_fail(usage_emit, "%s", "--jsonl and --hex exclude each other");

	buf_init(&in, 65536, 256u << 20);
	buf_init(&fr, 4096, 1u << 20);
	if (jsonl || hex)
		read_stdin(&in);
	fd = connect_uds(uds);
	t0 = mono_ns();
	if (hex) {
		size_t i, o = 0;
		int hi = -1;

		for (i = 0; i < in.len; i++) {
			char ch = in.p[i];
			int v = ch >= '0' && ch <= '9' ? ch - '0' :
			    ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 :
			    ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;

			if (v < 0) {
				if (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r')
					continue;
				die(EXIT_USAGE, "--hex: '%c' at offset %zu is not a "
				    "hex digit", ch, i);
			}
			if (hi < 0) {
				hi = v;
			} else {
				in.p[o++] = (char)(hi << 4 | v);
				hi = -1;
			}
		}
		if (hi >= 0)
			die(EXIT_USAGE, "--hex: odd number of hex digits");
		send_all(fd, (const uint8_t *)in.p, o);
		fprintf(stderr, "emit: sent %zu raw bytes to %s\n", o, uds);
	} else if (jsonl) {
		char *line = in.p, *end = in.p + in.len;
		unsigned long lineno = 0;

		while (line < end) {
			char *nl = memchr(line, '\n', (size_t)(end - line));
			size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
			json_error_t je;
			json_t *v;
			uint32_t blen;

			lineno++;
			if (len > 0) {
				v = json_loadb(line, len, 0, &je);
				if (v == NULL)
					die(EXIT_USAGE, "--jsonl line %lu: %s", lineno, je.text);
				fr.len = 4;
				if (json_to_cbor(v, &fr, 0) != 0)
					die(EXIT_USAGE, "--jsonl line %lu: cannot encode", lineno);
				json_decref(v);
				blen = (uint32_t)(fr.len - 4);
				fr.p[0] = (char)(blen & 0xFF);
				fr.p[1] = (char)(blen >> 8 & 0xFF);
				fr.p[2] = (char)(blen >> 16 & 0xFF);
				fr.p[3] = (char)(blen >> 24 & 0xFF);
				if (rate)
					sleep_until(t0 + sent * 1000000000ull / rate);
				send_all(fd, (const uint8_t *)fr.p, fr.len);
				sent++;
			}
			line += len + 1;
		}
		fprintf(stderr, "emit: sent %llu frames to %s\n",
		    (unsigned long long)sent, uds);
	} else {
		uint8_t frame[512];

		for (sent = 0; sent < count; sent++) {
			size_t n;

			f.guest_monotonic_ns = mono_ns();
			n = wire_encode(&f, frame, sizeof(frame));
			if (rate)
				sleep_until(t0 + sent * 1000000000ull / rate);
			send_all(fd, frame, n);
		}
		fprintf(stderr, "emit: sent %llu frames to %s\n",
		    (unsigned long long)sent, uds);
	}
	if (linger_ms)
		sleep_until(mono_ns() + linger_ms * 1000000ull);
	close(fd);
	buf_free(&in);
	buf_free(&fr);
	return 0;
}

/* ---- decode ---- */

static void
print_json_line(json_t *o)
{
	struct buf b;

	buf_init(&b, 512, 1 << 20);
	if (jcs_value(&b, o) == 0) {
		fwrite(b.p, 1, b.len, stdout);
		fputc('\n', stdout);
	}
	buf_free(&b);
	json_decref(o);
}

static json_t *
reject_json(uint64_t n, enum wire_reason r, const char *detail)
{
	json_t *o = json_object();

	json_object_set_new(o, "frame", json_integer((json_int_t)n));
	json_object_set_new(o, "ok", json_false());
	json_object_set_new(o, "reason", json_string(wire_reason_name(r)));
	json_object_set_new(o, "detail", json_string(detail));
	return o;
}

static int
cmd_decode(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max-frame-bytes", required_argument, NULL, 1 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t max = WIRE_MAX_FRAME_DEFAULT, nframe = 0;
	struct wire_reasm r;
	unsigned seen = 0;
	uint8_t chunk[65536];
	ssize_t n;
	int c, bad = 0;

	while ((c = next_opt(argc, argv, opts, usage_decode, &seen, 0)) != -1)
		if (c == 1)
			max = num_arg(usage_decode, "max-frame-bytes", optarg,
			    WIRE_MAX_FRAME_MIN, WIRE_MAX_FRAME_MAX);
	if (optind < argc)
		usage_fail(usage_decode, "unexpected argument '%s'", argv[optind]);
	wire_reasm_init(&r, max);
	while ((n = read(STDIN_FILENO, chunk, sizeof(chunk))) != 0) {
		size_t off = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die(EXIT_IOERR, "reading stdin: %s", strerror(errno));
		while (off < (size_t)n) {
			const uint8_t *body = NULL;
			size_t used = 0, blen = 0;
			enum wire_step s = wire_reasm_push(&r, chunk + off,
			    (size_t)n - off, &used, &body, &blen);
			struct wire_frame f;
			struct wire_error e = { .reason = WIRE_OK };
			char mono[24];
			json_t *o;

			off += used;
			if (s == WIRE_STEP_MORE)
				break;
			nframe++;
			if (s == WIRE_STEP_EMPTY) {
				print_json_line(reject_json(nframe, WIRE_EMPTY_FRAME,
				    "zero-length body"));
				bad = 1;
				continue;
			}
			if (s == WIRE_STEP_ERROR) {
				char d[96];

				snprintf(d, sizeof(d), "declared %u bytes, limit %llu; "
				    "framing lost, stopping", (unsigned)r.body_len,
				    (unsigned long long)max);
				print_json_line(reject_json(nframe, WIRE_FRAME_TOO_LARGE, d));
				fflush(stdout);
				return 1;
			}
			if (wire_decode(body, blen, NULL, &f, &e) != WIRE_OK) {
				print_json_line(reject_json(nframe, e.reason, e.detail));
				bad = 1;
				continue;
			}
			o = json_object();
			json_object_set_new(o, "frame", json_integer((json_int_t)nframe));
			json_object_set_new(o, "ok", json_true());
			json_object_set_new(o, "content_version", json_integer(f.content_version));
			json_object_set_new(o, "probe_source", json_string(f.probe_source));
			json_object_set_new(o, "guest_pid", json_integer(f.guest_pid));
			json_object_set_new(o, "guest_comm", json_string(f.guest_comm));
			snprintf(mono, sizeof(mono), "%llu",
			    (unsigned long long)f.guest_monotonic_ns);
			json_object_set_new(o, "guest_monotonic_ns", json_string(mono));
			print_json_line(o);
		}
	}
	if (wire_reasm_partial(&r)) {
		print_json_line(reject_json(++nframe, WIRE_TRUNCATED_FRAME,
		    "input ends inside a frame"));
		bad = 1;
	}
	wire_reasm_free(&r);
	return bad;
}

/* ---- verify ---- */

static void
read_small_file(const char *path, char *out, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		die(errno == ENOENT ? EXIT_NOINPUT : EXIT_NOPERM,
		    "cannot open %s: %s", path, strerror(errno));
	n = read(fd, out, cap - 1);
	close(fd);
	if (n < 0)
		die(EXIT_NOINPUT, "cannot read %s: %s", path, strerror(errno));
	out[n] = '\0';
}

static void
add_pubkey(struct verify *v, const char *label, const char *kid, const char *text)
{
	unsigned char pk[64];
	char defkid[KEY_KID_MAX];

	if (b64url_decode(text, strlen(text), pk, sizeof(pk)) != 32)
		die(EXIT_CONFIG, "%s: not a base64url Ed25519 public key "
		    "(32 bytes); use the PREFIX.pub file from keygen", label);
	if (kid == NULL) {
		keys_kid(ALG_ED25519, pk, 32, defkid, sizeof(defkid));
		kid = defkid;
	}
	if (verify_add_ed25519(v, kid, pk) != 0)
		die(EXIT_USAGE, "too many keys (at most %d)", VERIFY_MAX_KEYS);
}

static int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "public-key", required_argument, NULL, 1 },
		{ "hmac-key", required_argument, NULL, 2 },
		{ "keys-json", required_argument, NULL, 3 },
		{ "print", no_argument, NULL, 4 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct verify v;
	static struct key hkeys[VERIFY_MAX_KEYS];
	size_t nh = 0;
	unsigned seen = 0;
	int c, print = 0, open_streams;
	FILE *in = stdin;
	char *line = NULL, why[256], text[512];
	size_t cap = 0;
	ssize_t n;
	uint64_t lineno = 0;

	verify_init(&v);
	while ((c = next_opt(argc, argv, opts, usage_verify, &seen,
	    1u << 1 | 1u << 2)) != -1) {
		switch (c) {
		case 1:
			read_small_file(optarg, text, sizeof(text));
			add_pubkey(&v, optarg, NULL, text);
			break;
		case 2: {
			char err[512];
			int rc;

			if (nh == VERIFY_MAX_KEYS)
				die(EXIT_USAGE, "too many keys");
			rc = keys_load_file(optarg, ALG_HMAC, &hkeys[nh], err, sizeof(err));
			if (rc != 0)
				die(rc, "%s", err);
			if (verify_add_hmac(&v, &hkeys[nh]) != 0)
				die(EXIT_USAGE, "too many keys");
			nh++;
			break;
		}
		case 3: {
			json_error_t je;
			json_t *o = json_load_file(optarg, 0, &je), *val;
			const char *kid;
			char label[600];

			if (o == NULL || !json_is_object(o))
				die(EXIT_CONFIG, "--keys-json %s: expected {\"kid\": "
				    "\"base64url public key\"}: %s", optarg,
				    o ? "not an object" : je.text);
			json_object_foreach(o, kid, val) {
				snprintf(label, sizeof(label), "%s: key %s", optarg, kid);
				if (!json_is_string(val))
					die(EXIT_CONFIG, "%s is not a string", label);
				add_pubkey(&v, label, kid, json_string_value(val));
			}
			json_decref(o);
			break;
		}
		case 4: print = 1; break;
		}
	}
	if (argc - optind > 1)
		usage_fail(usage_verify, "unexpected argument '%s'", argv[optind + 1]);
	if (v.nkeys == 0)
		usage_fail(usage_verify, "%s", "no key given: pass --public-key, "
		    "--hmac-key or --keys-json");
	if (argc - optind == 1 && strcmp(argv[optind], "-") != 0) {
		in = fopen(argv[optind], "r");
		if (in == NULL)
			die(EXIT_NOINPUT, "cannot open %s: %s", argv[optind],
			    strerror(errno));
	}
	while ((n = getline(&line, &cap, in)) >= 0) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (verify_line(&v, line, (size_t)n, why, sizeof(why))) {
			if (print) {
				fwrite(line, 1, (size_t)n, stdout);
				fputc('\n', stdout);
			}
		} else {
			fprintf(stderr, "verify: line %llu: %s\n",
			    (unsigned long long)lineno, why);
		}
	}
	free(line);
	if (in != stdin)
		fclose(in);
	open_streams = verify_finish(&v, why, sizeof(why));
	if (open_streams)
		fprintf(stderr, "verify: %s\n", why);
	for (size_t i = 0; i < nh; i++)
		keys_free(&hkeys[i]);
	if (v.bad_lines == 0 && open_streams == 0 && v.ok_lines > 0) {
		fprintf(stderr, "verify: OK: %llu lines in %zu stream(s)\n",
		    (unsigned long long)v.ok_lines, v.nstreams);
		return 0;
	}
	fprintf(stderr, "verify: FAILED: %llu of %llu lines bad, %d stream(s) "
	    "without stopped\n", (unsigned long long)v.bad_lines,
	    (unsigned long long)lineno, open_streams);
	return 1;
}

int
main(int argc, char **argv)
{
	const char *cmd;

	util_set_progname("cellos-telemetry");
	/* keygen, pubkey and verify hold secret keys: never in a core dump */
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	if (sodium_init() < 0)
		die(EXIT_OSERR, "libsodium failed to initialise");
	if (argc < 2) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("cellos-telemetry %s\n", VERSION);
		return 0;
	}
	argc--;
	argv++;
	if (strcmp(cmd, "keygen") == 0)
		return cmd_keygen(argc, argv);
	if (strcmp(cmd, "pubkey") == 0)
		return cmd_pubkey(argc, argv);
	if (strcmp(cmd, "emit") == 0)
		return cmd_emit(argc, argv);
	if (strcmp(cmd, "decode") == 0)
		return cmd_decode(argc, argv);
	if (strcmp(cmd, "verify") == 0)
		return cmd_verify(argc, argv);
	fprintf(stderr, "cellos-telemetry: unknown command '%s'\n\n%s", cmd,
	    usage_main);
	return EXIT_USAGE;
}
