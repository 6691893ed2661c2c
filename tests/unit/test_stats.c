/* test_stats.c - token buckets and the rejection summary's pacing. */
#include "bucket.h"
#include "stats.h"
#include "summary.h"
#include "t.h"

#define S 1000000000ull

static void
bucket_burst_then_rate(void)
{
	struct bucket b;
	int ok = 0;

	bucket_init(&b, 10, 20, 0);
	for (int i = 0; i < 100; i++)
		ok += bucket_take(&b, 0);
	T_EQ_INT(ok, 20);                       /* the burst */
	ok = 0;
	for (int i = 0; i < 100; i++)
		ok += bucket_take(&b, S);       /* one second later */
	T_EQ_INT(ok, 10);                       /* the rate */
	ok = 0;
	for (int i = 0; i < 100; i++)
		ok += bucket_take(&b, 1000 * S);        /* long idle: capped */
	T_EQ_INT(ok, 20);
}

static void
bucket_unlimited(void)
{
	struct bucket b;

	bucket_init(&b, 0, 1, 0);
	for (int i = 0; i < 1000; i++)
		T_ASSERT(bucket_take(&b, 0));
}

static void
summary_first_at_once_then_per_second(void)
{
	struct reject_summary r = { 0 };
	json_t *o;

	T_EQ_INT(summary_deadline(&r), 0);
	summary_reject(&r, WIRE_MALFORMED_CBOR, 1, 3, "first");
	/* a count from one record is added in one step */
	summary_reject(&r, WIRE_WRONG_TYPE, 5, 4, "second");
	T_ASSERT(summary_deadline(&r) != 0 && summary_deadline(&r) <= 5 * S);
	o = summary_take(&r, 5 * S);
	T_EQ_INT(json_integer_value(json_object_get(o, "frames_rejected")), 6);
	T_EQ_STR(json_string_value(json_object_get(json_object_get(o, "example"), "detail")), "first");
	T_EQ_INT(json_integer_value(json_object_get(json_object_get(o, "counts"), "wrong_type")), 5);
	json_decref(o);
	T_EQ_INT(summary_deadline(&r), 0);
	summary_refused(&r, 1);
	T_ASSERT(summary_deadline(&r) == 6 * S);       /* a second after the last */
	o = summary_take(&r, 6 * S);
	T_EQ_INT(json_integer_value(json_object_get(o, "connections_refused")), 1);
	T_ASSERT(json_is_null(json_object_get(o, "example")));
	json_decref(o);
}

void
stats_tests(void)
{
	RUN(bucket_burst_then_rate);
	RUN(bucket_unlimited);
	RUN(summary_first_at_once_then_per_second);
}
