/*
 * bucket.h - token buckets: the guest event rate limit and the pacing of
 * connection events.
 */
#ifndef BUCKET_H
#define BUCKET_H

#include <stdint.h>

/* Token bucket: rate per second, burst capacity; rate 0 = unlimited. */
struct bucket {
	uint64_t rate, burst;
	uint64_t credit;        /* tokens scaled by 1e9 */
	uint64_t last_ns;
};

void bucket_init(struct bucket *b, uint64_t rate, uint64_t burst, uint64_t now);
/* 1 and one token taken, or 0 when empty. */
int bucket_take(struct bucket *b, uint64_t now);

#endif
