/*
 * sim.c - the guest simulator (see include/sim.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cbor.h>
#include <jansson.h>

#include "clock.h"
#include "sim.h"
#include "util.h"

#define SIM_JSON_DEPTH 32
#define SIM_FRAME_MAX ((size_t)1 << 20)

void
sim_connect(struct sim *s, const char *path, uint64_t rate, uint64_t wait_ms)
{
	uint64_t deadline = mono_ns() + wait_ms * 1000000ull;
	struct sockaddr_un sa;

	memset(s, 0, sizeof(*s));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		die(EXIT_USAGE, "socket path %s is longer than %zu bytes", path,
		    sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, path, strlen(path));
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		die(EXIT_OSERR, "socket: %s", strerror(errno));
	/* --wait: the daemon may still be starting (not bound yet) */
	while (connect(s->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if ((errno != ENOENT && errno != ECONNREFUSED) ||
		    mono_ns() >= deadline)
			die(EXIT_NOINPUT, "cannot connect to %s: %s; is "
			    "cellos-telemetryd running with this --uds-base? (--wait "
			    "DUR waits for it)", path, strerror(errno));
		sim_sleep_until(mono_ns() + 10000000ull);
	}
	s->rate = rate;
	s->t0 = mono_ns();
}

void
sim_close(struct sim *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

void
sim_sleep_until(uint64_t t)
{
	uint64_t now = mono_ns();

	if (t > now) {
		struct timespec ts = { (time_t)((t - now) / 1000000000u),
		    (long)((t - now) % 1000000000u) };
		nanosleep(&ts, NULL);
	}
}

static void
send_all(struct sim *s, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(s->fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die(EXIT_IOERR, "send: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

/* Send one frame at its place in the pace. */
static void
send_paced(struct sim *s, const uint8_t *p, size_t n)
{
	if (s->rate)
		sim_sleep_until(s->t0 + s->sent * 1000000000ull / s->rate);
	send_all(s, p, n);
	s->sent++;
}

void
sim_send_frames(struct sim *s, struct wire_frame *f, uint64_t count)
{
	uint8_t frame[512];
	uint64_t i;

	for (i = 0; i < count; i++) {
		size_t n;

		f->guest_monotonic_ns = mono_ns();
		n = wire_encode(f, frame, sizeof(frame));
		send_paced(s, frame, n);
	}
}

static int
put_head(struct buf *b, size_t (*enc)(size_t, unsigned char *, size_t),
    size_t n)
{
	unsigned char h[16];

	return buf_add(b, h, enc(n, h, sizeof(h)));
}

/* Encode a JSON value as CBOR into b through libcbor's encoders. */
static int
json_to_cbor(const json_t *v, struct buf *b, int depth)
{
	unsigned char h[16];
	const char *key;
	json_t *val;
	size_t i;

	if (depth > SIM_JSON_DEPTH)
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (put_head(b, cbor_encode_map_start, json_object_size(v)) != 0)
			return -1;
		json_object_foreach((json_t *)(uintptr_t)v, key, val)
			if (put_head(b, cbor_encode_string_start, strlen(key)) != 0 ||
			    buf_adds(b, key) != 0 ||
			    json_to_cbor(val, b, depth + 1) != 0)
				return -1;
		return 0;
	case JSON_ARRAY:
		if (put_head(b, cbor_encode_array_start, json_array_size(v)) != 0)
			return -1;
		for (i = 0; i < json_array_size(v); i++)
			if (json_to_cbor(json_array_get(v, i), b, depth + 1) != 0)
				return -1;
		return 0;
	case JSON_STRING:
		return put_head(b, cbor_encode_string_start,
		    json_string_length(v)) != 0 || buf_add(b,
		    json_string_value(v), json_string_length(v)) != 0 ? -1 : 0;
	case JSON_INTEGER: {
		json_int_t x = json_integer_value(v);

		return buf_add(b, h, x >= 0 ?
		    cbor_encode_uint((uint64_t)x, h, sizeof(h)) :
		    cbor_encode_negint((uint64_t)(-(x + 1)), h, sizeof(h)));
	}
	case JSON_REAL:
		return buf_add(b, h, cbor_encode_double(json_real_value(v), h,
		    sizeof(h)));
	case JSON_TRUE:
		return buf_add(b, h, cbor_encode_bool(true, h, sizeof(h)));
	case JSON_FALSE:
		return buf_add(b, h, cbor_encode_bool(false, h, sizeof(h)));
	case JSON_NULL:
		return buf_add(b, h, cbor_encode_null(h, sizeof(h)));
	}
	return -1;
}

void
sim_send_jsonl(struct sim *s, const char *text, size_t n)
{
	const char *line = text, *end = text + n;
	unsigned long lineno = 0;
	struct buf fr;

	buf_init(&fr, 4096, SIM_FRAME_MAX);
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
		json_error_t je;
		json_t *v;

		lineno++;
		if (len > 0) {
			v = json_loadb(line, len, 0, &je);
			if (v == NULL)
				die(EXIT_USAGE, "--jsonl line %lu: %s", lineno, je.text);
			fr.len = WIRE_LEN_BYTES;
			if (json_to_cbor(v, &fr, 0) != 0)
				die(EXIT_USAGE, "--jsonl line %lu: cannot encode "
				    "(nested deeper than %d or over %zu bytes)",
				    lineno, SIM_JSON_DEPTH, SIM_FRAME_MAX);
			json_decref(v);
			wire_put_len((uint8_t *)fr.p,
			    (uint32_t)(fr.len - WIRE_LEN_BYTES));
			send_paced(s, (const uint8_t *)fr.p, fr.len);
		}
		line += len + 1;
	}
	buf_free(&fr);
}

static int
hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

size_t
sim_send_hex(struct sim *s, char *text, size_t n)
{
	size_t i, o = 0;
	int hi = -1;

	/* decoded in place: the bytes are never longer than their digits */
	for (i = 0; i < n; i++) {
		int v = hex_digit(text[i]);

		if (v < 0) {
			if (strchr(" \n\t\r", text[i]) != NULL && text[i] != '\0')
				continue;
			die(EXIT_USAGE, "--hex: '%c' at offset %zu is not a "
			    "hex digit", text[i], i);
		}
		if (hi < 0) {
			hi = v;
		} else {
			text[o++] = (char)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		die(EXIT_USAGE, "--hex: odd number of hex digits");
	send_all(s, (const uint8_t *)text, o);
	return o;
}

void
sim_read_stdin(struct buf *b)
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
}
