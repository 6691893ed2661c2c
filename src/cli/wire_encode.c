/*
 * wire_encode.c - frames built for the simulator and tests (see wire.h);
 * never used on guest input.
 */
#include <string.h>

#include <cbor.h>

#include "wire.h"

/* ---- encoder (simulator and tests only) ---- */

static size_t
put_text(uint8_t *out, size_t cap, const char *s)
{
	size_t n = strlen(s), h;

	h = cbor_encode_string_start(n, out, cap);
	if (h == 0 || cap - h < n)
		return 0;
	memcpy(out + h, s, n);  /* NOLINT(bugprone-not-null-terminated-result): CBOR text has no NUL */
	return h + n;
}

size_t
wire_encode(const struct wire_frame *f, uint8_t *out, size_t cap)
{
	size_t off = WIRE_LEN_BYTES, w;
	uint32_t body;

#define PUT(expr) do { if (off > cap || (w = (expr)) == 0) return 0; off += w; } while (0)
	PUT(cbor_encode_map_start(5, out + off, cap - off));
	PUT(put_text(out + off, cap - off, "content_version"));
	PUT(cbor_encode_uint(f->content_version, out + off, cap - off));
	PUT(put_text(out + off, cap - off, "probe_source"));
	PUT(put_text(out + off, cap - off, f->probe_source));
	PUT(put_text(out + off, cap - off, "guest_pid"));
	PUT(cbor_encode_uint(f->guest_pid, out + off, cap - off));
	PUT(put_text(out + off, cap - off, "guest_comm"));
	PUT(put_text(out + off, cap - off, f->guest_comm));
	PUT(put_text(out + off, cap - off, "guest_monotonic_ns"));
	PUT(cbor_encode_uint(f->guest_monotonic_ns, out + off, cap - off));
#undef PUT
	body = (uint32_t)(off - WIRE_LEN_BYTES);
	wire_put_len(out, body);
	return off;
}
