/*
 * inspect.c - frames to JSON lines for `decode` (see include/inspect.h).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "inspect.h"
#include "jcs.h"
#include "util.h"
#include "wire.h"

static void
print_json_line(FILE *out, json_t *o)
{
	struct buf b;

	buf_init(&b, 512, 1 << 20);
	if (jcs_value(&b, o) == 0) {
		fwrite(b.p, 1, b.len, out);
		fputc('\n', out);
	}
	buf_free(&b);
	json_decref(o);
}

static void
print_reject(FILE *out, uint64_t n, const struct wire_error *e)
{
	json_t *o = json_object();

	json_object_set_new(o, "frame", jcs_u64(n));
	json_object_set_new(o, "ok", json_false());
	json_object_set_new(o, "reason", json_string(wire_reason_name(e->reason)));
	json_object_set_new(o, "detail", json_string(e->detail));
	print_json_line(out, o);
}

static void
print_frame(FILE *out, uint64_t n, const struct wire_frame *f)
{
	json_t *o = json_object();
	char mono[24];

	json_object_set_new(o, "frame", jcs_u64(n));
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "content_version", json_integer(f->content_version));
	json_object_set_new(o, "probe_source", json_string(f->probe_source));
	json_object_set_new(o, "guest_pid", json_integer(f->guest_pid));
	json_object_set_new(o, "guest_comm", json_string(f->guest_comm));
	/* a string, as in the stream: jq would round it */
	snprintf(mono, sizeof(mono), "%llu",
	    (unsigned long long)f->guest_monotonic_ns);
	json_object_set_new(o, "guest_monotonic_ns", json_string(mono));
	print_json_line(out, o);
}

int
inspect_frames(int fd, size_t max_frame, FILE *out)
{
	struct wire_reasm r;
	uint8_t chunk[65536];
	uint64_t nframe = 0;
	ssize_t n;
	int bad = 0;

	wire_reasm_init(&r, max_frame);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
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

			off += used;
			if (s == WIRE_STEP_MORE)
				break;
			nframe++;
			if (s == WIRE_STEP_ERROR) {
				/* framing is lost: nothing after this is a frame */
				print_reject(out, nframe, &r.err);
				wire_reasm_free(&r);
				return 1;
			}
			if (s == WIRE_STEP_EMPTY) {
				print_reject(out, nframe, &r.err);
				bad = 1;
			} else if (wire_decode(body, blen, NULL, &f, &e) != WIRE_OK) {
				print_reject(out, nframe, &e);
				bad = 1;
			} else {
				print_frame(out, nframe, &f);
			}
		}
	}
	if (wire_reasm_end(&r)) {
		print_reject(out, ++nframe, &r.err);
		bad = 1;
	}
	wire_reasm_free(&r);
	return bad;
}
