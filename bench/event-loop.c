/*
 * event-loop - what building one guest event's line costs, without I/O:
 * event_guest() in a tight loop for about SECONDS, unsigned or in chain
 * mode (argument "chain"); prints nanoseconds per line. make bench reports
 * it next to the whole daemon's CPU per event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "clock.h"
#include "event.h"
#include "keys.h"

int
main(int argc, char **argv)
{
	/* RFC 8032 test 1 seed: any key does, the loop never seals */
	static const char seed[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	uint64_t t0, t;
	int chain = argc > 2 && strcmp(argv[2], "chain") == 0;
	unsigned long long count = 0;
	struct event_ctx e;
	struct wire_frame f;
	struct buf out;
	struct key k;
	char err[128];
	int i;

	if (sodium_init() < 0 || keys_from_text(seed, sizeof(seed) - 1,
	    ALG_ED25519, &k, err, sizeof(err)) != 0)
		return 1;
	event_init(&e, "bench", "r1", NULL, chain ? &k : NULL, NULL);
	if (chain)
		event_chain_mode(&e);
	buf_init(&out, 1 << 20, 1 << 24);
	/* the frame make bench's guests send */
	memset(&f, 0, sizeof(f));
	f.content_version = 0x0100;
	f.guest_monotonic_ns = 1000000000;
	snprintf(f.probe_source, sizeof(f.probe_source), "process.spawned");
	snprintf(f.guest_comm, sizeof(f.guest_comm), "worker");
	t0 = mono_ns();
	do {
		for (i = 0; i < 1024; i++, count++) {
			f.guest_pid = (uint32_t)count;
			if (event_guest(&e, &f, 1764384000123456789ull + count * 1000,
			    1, &out) != 0)
				return 2;
			if (out.len > (1 << 19))
				out.len = 0;
		}
		t = mono_ns();
	} while ((double)(t - t0) < secs * 1e9);
	printf("%.0f\n", (double)(t - t0) / (double)count);
	return 0;
}
