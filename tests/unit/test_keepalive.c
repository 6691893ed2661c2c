/* test_keepalive.c - silence rules with an injected clock. */
#include "keepalive.h"
#include "t.h"

#define S 1000000000ull

static void
fires_after_window_from_readiness(void)
{
	struct keepalive k;

	ka_init(&k, 10 * S, 100 * S);
	T_ASSERT(ka_deadline(&k) == 110 * S);
	T_ASSERT(ka_fire(&k, 110 * S) == 10 * S);
	T_EQ_INT(ka_deadline(&k), 0);           /* at most once per run */
}

static void
frames_restart_the_window(void)
{
	struct keepalive k;
	uint64_t silent;

	ka_init(&k, 10 * S, 0);
	T_EQ_INT(ka_frame(&k, 7 * S, 1, &silent), 0);
	T_ASSERT(ka_deadline(&k) == 17 * S);
	T_EQ_INT(ka_frame(&k, 16 * S, 2, &silent), 0);
	T_ASSERT(ka_deadline(&k) == 26 * S);
}

static void
resumed_once_after_silence(void)
{
	struct keepalive k;
	uint64_t silent = 0;

	ka_init(&k, 10 * S, 0);
	ka_frame(&k, 5 * S, 1, &silent);
	T_ASSERT(ka_fire(&k, 15 * S) == 10 * S);
	T_EQ_INT(ka_frame(&k, 40 * S, 2, &silent), 1);
	T_ASSERT(silent == 35 * S);             /* from the last frame */
	T_EQ_INT(ka_frame(&k, 41 * S, 3, &silent), 0);
	T_EQ_INT(ka_deadline(&k), 0);           /* never fires again */
}

static void
pause_and_resume(void)
{
	struct keepalive k;

	ka_init(&k, 10 * S, 0);
	ka_pause(&k);
	T_EQ_INT(ka_deadline(&k), 0);
	ka_resume(&k, 50 * S);                  /* a fresh window */
	T_ASSERT(ka_deadline(&k) == 60 * S);
}

static void
off_when_zero(void)
{
	struct keepalive k;

	ka_init(&k, 0, 0);
	T_EQ_INT(ka_deadline(&k), 0);
}

void
keepalive_tests(void)
{
	RUN(fires_after_window_from_readiness);
	RUN(frames_restart_the_window);
	RUN(resumed_once_after_silence);
	RUN(pause_and_resume);
	RUN(off_when_zero);
}
