/*
 * bucket.c - token buckets (see include/bucket.h).
 */
#include "bucket.h"

#define NS 1000000000ull

void
bucket_init(struct bucket *b, uint64_t rate, uint64_t burst, uint64_t now)
{
	b->rate = rate;
	b->burst = burst ? burst : 1;
	b->credit = b->burst * NS;
	b->last_ns = now;
}

int
bucket_take(struct bucket *b, uint64_t now)
{
	uint64_t cap = b->burst * NS, dt;

	if (b->rate == 0)
		return 1;
	if (now > b->last_ns) {
		dt = now - b->last_ns;
		/* refilling longer than a full bucket takes cannot add more,
		 * and dt * rate must not overflow */
		if (dt > cap / b->rate || b->credit + dt * b->rate > cap)
			b->credit = cap;
		else
			b->credit += dt * b->rate;
		b->last_ns = now;
	}
	if (b->credit < NS)
		return 0;
	b->credit -= NS;
	return 1;
}
