/*
 * sim.h - the guest simulator behind `cellos-telemetry emit`: connect to
 * the daemon's socket as the agent would and send frames, well-formed or
 * crafted (JSON lines encoded as CBOR, raw hex bytes), at a chosen pace.
 */
#ifndef SIM_H
#define SIM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "wire.h"

struct sim {
	int fd;
	uint64_t rate;          /* frames per second, 0: as fast as possible */
	uint64_t t0;            /* monotonic ns of the first frame */
	uint64_t sent;          /* frames sent */
};

/* Connect to path, retrying for up to wait_ms while nothing listens there
 * yet. Exits 66 with a hint when it cannot connect. */
void sim_connect(struct sim *s, const char *path, uint64_t rate,
    uint64_t wait_ms);
void sim_close(struct sim *s);

/* count frames of f, each with a fresh guest_monotonic_ns. */
void sim_send_frames(struct sim *s, struct wire_frame *f, uint64_t count);

/* One frame per JSON line of text; each object's members are encoded as
 * CBOR in their order (floats, negatives and nesting allowed: for
 * crafting bad frames). Exits 64 naming the line that is not JSON. */
void sim_send_jsonl(struct sim *s, const char *text, size_t n);

/* Hex digits (whitespace ignored) sent as raw bytes, no length prefix.
 * Returns the number of bytes sent; exits 64 on a bad digit. */
size_t sim_send_hex(struct sim *s, char *text, size_t n);

/* Read all of stdin into b (exits 64 past b's ceiling). */
void sim_read_stdin(struct buf *b);

/* Sleep until monotonic time t (ns). */
void sim_sleep_until(uint64_t t);

#endif
