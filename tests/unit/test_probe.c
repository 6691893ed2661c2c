/* test_probe.c - the probes' parsing helpers. */
#include "jcs.h"
#include "probe.h"
#include "t.h"

static void
kv_lines(void)
{
	json_t *o = probe_parse_kv("low 0\nhigh 3\nbad line here\nmax 18446744073709551615\nneg -1\n");

	T_ASSERT(o != NULL);
	T_EQ_INT(json_integer_value(json_object_get(o, "high")), 3);
	T_EQ_STR(json_string_value(json_object_get(o, "max")), "18446744073709551615");
	T_ASSERT(json_object_get(o, "bad") == NULL);
	T_ASSERT(json_object_get(o, "neg") == NULL);
	json_decref(o);
	T_ASSERT(probe_parse_kv("") == NULL);
	T_ASSERT(probe_parse_kv("nothing here\n") == NULL);
}

static void
json_made_safe(void)
{
	json_error_t e;
	json_t *v = json_loads("{\"f\":0.1,\"big\":9007199254740992,\"ok\":9007199254740991,"
	    "\"a\":[1.5,{\"x\":-9007199254740992}]}", 0, &e);

	T_ASSERT(v != NULL);
	jcs_make_safe(v);
	T_EQ_STR(json_string_value(json_object_get(v, "f")), "0.1");
	T_EQ_STR(json_string_value(json_object_get(v, "big")), "9007199254740992");
	T_ASSERT(json_is_integer(json_object_get(v, "ok")));
	T_EQ_STR(json_string_value(json_array_get(json_object_get(v, "a"), 0)), "1.5");
	T_EQ_STR(json_string_value(json_object_get(json_array_get(json_object_get(v, "a"), 1), "x")),
	    "-9007199254740992");
	json_decref(v);
}

void
probe_tests(void)
{
	RUN(kv_lines);
	RUN(json_made_safe);
}
