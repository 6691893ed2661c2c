/*
 * fuzz_wire.c - the production reassembler and decoder on arbitrary byte
 * streams in arbitrary chunking. The first input byte seeds the chunk sizes.
 * Checks: no crash, no leak, and every accepted frame obeys the schema.
 */
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "util.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_frame(const uint8_t *body, size_t len)
{
	struct wire_frame f;
	struct wire_error e;

	if (wire_decode(body, len, NULL, &f, &e) == WIRE_OK) {
		if ((f.content_version >> 8) != 1 ||
		    strlen(f.guest_comm) > WIRE_MAX_TEXT ||
		    !utf8_valid((const uint8_t *)f.guest_comm, strlen(f.guest_comm)) ||
		    !wire_source_known(f.probe_source, strlen(f.probe_source), NULL))
			abort();
	} else if (e.reason == WIRE_OK || e.detail[0] == '\0') {
		abort();        /* every rejection names a reason and a detail */
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_reasm r;
	unsigned seed;
	size_t off = 1;

	if (size == 0)
		return 0;
	seed = data[0];
	/* the body alone, as decode would see it */
	check_frame(data + 1, size - 1);
	wire_reasm_init(&r, 4096);
	while (off < size) {
		size_t chunk = 1 + (seed = seed * 1103515245u + 12345u) % 97;
		const uint8_t *p;

		if (chunk > size - off)
			chunk = size - off;
		p = data + off;
		off += chunk;
		while (chunk > 0) {
			const uint8_t *body = NULL;
			size_t used = 0, blen = 0;
			enum wire_step s = wire_reasm_push(&r, p, chunk, &used, &body, &blen);

			if (used > chunk)
				abort();
			p += used;
			chunk -= used;
			if (s == WIRE_STEP_FRAME)
				check_frame(body, blen);
			else if (s == WIRE_STEP_ERROR)
				goto out;
			else if (s == WIRE_STEP_MORE)
				break;
		}
	}
out:
	wire_reasm_free(&r);
	return 0;
}
