/*
 * fuzz_records.c - the monitor's check of receiver records
 * (records_dispatch, src/monitor/records.c) on arbitrary bytes, as a
 * compromised receiver would send them. Checks: no crash, no leak, a
 * bounded amount of work per record (counts arrive whole, never one call
 * per unit), and the invariants the monitor keeps: connections opened in
 * order, no more open than allowed, counts within a batch's bound.
 */
#include <stdlib.h>
#include <string.h>

#include "records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t calls;

static void
opened(void *ctx, const struct rx_conn *c, uint64_t real)
{
	(void)ctx, (void)c, (void)real;
	calls++;
}

static void
closed(void *ctx, const struct rx_conn *c, const char *reason, uint64_t real)
{
	(void)ctx, (void)real;
	if (reason == NULL || c->open)
		abort();
	calls++;
}

static void
frame(void *ctx, const struct rx_conn *c, const struct wire_frame *f,
    uint64_t real, uint64_t now)
{
	(void)ctx, (void)real, (void)now;
	if (!c->open || f->probe_source[0] == '\0')
		abort();
	calls++;
}

static void
rejected(void *ctx, enum wire_reason why, uint32_t count, uint64_t conn,
    const char *detail)
{
	(void)ctx, (void)conn, (void)detail;
	if (why == WIRE_OK || why >= WIRE_REASON_COUNT || count == 0 ||
	    count > CHAN_COUNT_MAX)
		abort();
	calls++;
}

static void
refused(void *ctx, uint32_t count)
{
	(void)ctx;
	if (count == 0 || count > CHAN_COUNT_MAX)
		abort();
	calls++;
}

static const struct records_ops ops = {
	opened, closed, frame, rejected, refused,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct intake_config cfg = { .max_frame = 4096,
		.max_connections = 4 };
	struct records r;
	size_t off = 1;

	if (size == 0)
		return 0;
	records_init(&r, &cfg, -1, 0, 0);
	/* the first byte: whether the drain was asked for after HELLO */
	calls = 0;
	while (off < size) {
		long used = records_dispatch(&r, data + off, size - off, &ops,
		    NULL, UINT64_MAX / 2, 0);

		if (used <= 0)
			break;
		off += (size_t)used;
		if (data[0] & 1)
			records_drain_asked(&r);
	}
	/* one call per record at most: never a loop per unit of a count */
	if (calls > r.records)
		abort();
	records_free(&r);
	return 0;
}
