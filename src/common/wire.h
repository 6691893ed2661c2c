/*
 * wire.h - the guest -> host frame format, its limits, and the strict decoder.
 *
 * A frame on the vsock stream:
 *
 *   0       4                                   4+len
 *   +-------+-----------------------------------+
 *   |  len  |  CBOR body (definite-length map)  |
 *   +-------+-----------------------------------+
 *   u32 little-endian, 1..max_frame_bytes
 *
 * Body keys (text):            type            range
 *   content_version   (first)  unsigned int    <= 0xFFFF, major (>>8) == 1
 *   probe_source               text            1..64 bytes, a known source
 *   guest_pid                  unsigned int    <= 0xFFFFFFFF
 *   guest_comm                 text            0..64 bytes
 *   guest_monotonic_ns         unsigned int    <= 2^64-1
 * Unknown text keys are skipped (at most WIRE_MAX_KEYS entries in the map);
 * their values must be well-formed definite-length CBOR, depth <= 8.
 *
 * Nothing in this module does I/O: bytes in, frames or reasons out.
 */
#ifndef WIRE_H
#define WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_LEN_BYTES 4         /* the length prefix */
#define WIRE_CONTENT_VERSION_MAJOR 1
#define WIRE_CONTENT_VERSION 0x0100
#define WIRE_MAX_FRAME_DEFAULT 4096
#define WIRE_MAX_FRAME_MIN 64
#define WIRE_MAX_FRAME_MAX 65536
#define WIRE_MAX_KEYS 16        /* map entries in all, known and unknown */
#define WIRE_MAX_DEPTH 8        /* nesting inside an unknown key's value */
#define WIRE_MAX_TEXT 64        /* probe_source and guest_comm, in bytes */
#define WIRE_MAX_EXTRA_SOURCES 32

/* Rejection reasons: stable names used by counters, events, logs, decode. */
enum wire_reason {
	WIRE_OK = 0,
	WIRE_FRAME_TOO_LARGE,
	WIRE_TRUNCATED_FRAME,
	WIRE_EMPTY_FRAME,
	WIRE_MALFORMED_CBOR,
	WIRE_UNSUPPORTED_CBOR,
	WIRE_NOT_A_MAP,
	WIRE_CONTENT_VERSION_NOT_FIRST,
	WIRE_UNSUPPORTED_VERSION,
	WIRE_MISSING_FIELD,
	WIRE_DUPLICATE_KEY,
	WIRE_WRONG_TYPE,
	WIRE_INTEGER_OVERFLOW,
	WIRE_INVALID_TEXT,
	WIRE_TEXT_TOO_LONG,
	WIRE_TOO_MANY_KEYS,
	WIRE_TRAILING_BYTES,
	WIRE_UNKNOWN_PROBE_SOURCE,
	WIRE_FRAME_TIMEOUT,
	WIRE_RATE_LIMITED,
	WIRE_REASON_COUNT
};

/* "frame_too_large" etc.; "ok" for WIRE_OK. Never NULL. */
const char *wire_reason_name(enum wire_reason r);

/* A decoded body. Text fields are NUL-terminated copies (never contain NUL). */
struct wire_frame {
	uint16_t content_version;
	uint32_t guest_pid;
	uint64_t guest_monotonic_ns;
	char probe_source[WIRE_MAX_TEXT + 1];
	char guest_comm[WIRE_MAX_TEXT + 1];
	int is_heartbeat;
};

/* Why a frame was refused: a reason and a short human detail (no guest bytes). */
struct wire_error {
	enum wire_reason reason;
	char detail[96];
};

/* A name with its length, for tables looked up for every frame. */
struct named {
	const char *s;
	size_t n;
};
#define NAMED(s) { s, sizeof(s) - 1 }

/* Probe sources accepted in addition to the built-in set. */
struct wire_sources {
	size_t n;
	char name[WIRE_MAX_EXTRA_SOURCES][WIRE_MAX_TEXT + 1];
};

/*
 * Decode one frame body strictly. Returns WIRE_OK and fills *f, or a reason
 * and fills *err. extra may be NULL. Never allocates in proportion to what the
 * body declares; reads only body[0..len).
 */
enum wire_reason wire_decode(const uint8_t *body, size_t len,
    const struct wire_sources *extra, struct wire_frame *f,
    struct wire_error *err);

/* 1 when name is a built-in probe source or listed in extra. */
int wire_source_known(const char *name, size_t len,
    const struct wire_sources *extra);

/* 1 when name is acceptable for --allow-probe-source: 1..64 of [a-z0-9._-]. */
int wire_source_name_ok(const char *name);

/*
 * Frame reassembler: bytes arrive in arbitrary chunks, whole bodies come out.
 * The body buffer is allocated only when a frame does not arrive whole in one
 * chunk, sized to that frame's declared length (already checked against max),
 * and released once the frame is delivered.
 */
struct wire_reasm {
	size_t max;             /* maximum body bytes */
	uint8_t hdr[WIRE_LEN_BYTES];
	size_t hdr_have;
	uint32_t body_len;
	size_t body_have;
	uint8_t *body;          /* NULL unless a body is being collected */
	struct wire_error err;  /* why the last EMPTY, ERROR or end was bad */
};

enum wire_step {
	WIRE_STEP_MORE,         /* all input consumed, no frame complete */
	WIRE_STEP_FRAME,        /* a body is ready in *body, *blen */
	WIRE_STEP_EMPTY,        /* a zero-length frame: body error in r->err,
	                         * keep going */
	WIRE_STEP_ERROR         /* framing error in r->err (frame_too_large):
	                         * stop */
};

void wire_reasm_init(struct wire_reasm *r, size_t max);
void wire_reasm_free(struct wire_reasm *r);

/*
 * Consume input from *p (n bytes). Sets *used to the bytes consumed. On
 * WIRE_STEP_FRAME, *body points either into p or into the reassembler and is
 * valid until the next call. Call again with the rest of the input.
 */
enum wire_step wire_reasm_push(struct wire_reasm *r, const uint8_t *p,
    size_t n, size_t *used, const uint8_t **body, size_t *blen);

/* 1 when part of a frame (header or body) is held. */
int wire_reasm_partial(const struct wire_reasm *r);

/* The input has ended: 1 with r->err set (truncated_frame) when it ended
 * inside a frame, 0 when it ended cleanly between frames. */
int wire_reasm_end(struct wire_reasm *r);

/* The u32 little-endian length prefix. */
void wire_put_len(uint8_t out[WIRE_LEN_BYTES], uint32_t len);
uint32_t wire_get_len(const uint8_t in[WIRE_LEN_BYTES]);

/* Encode a v1 frame (length prefix + body) into out; returns total bytes or 0
 * when it does not fit. For the simulator and tests; not for guest input. */
size_t wire_encode(const struct wire_frame *f, uint8_t *out, size_t cap);

#endif
