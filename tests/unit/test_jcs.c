/* test_jcs.c - RFC 8785 rules: escaping, ordering by UTF-16, integers. */
#include "buf.h"
#include "jcs.h"
#include "t.h"

static int
canon(const char *json, char *out, size_t cap)
{
	json_error_t e;
	json_t *v = json_loads(json, JSON_DECODE_ANY, &e);
	struct buf b;
	int rc;

	if (v == NULL)
		return -2;
	buf_init(&b, 64, 1 << 20);
	rc = jcs_value(&b, v);
	if (rc == 0)
		snprintf(out, cap, "%.*s", (int)b.len, b.p);
	buf_free(&b);
	json_decref(v);
	return rc;
}

static void
rfc8785_string_example(void)
{
	char out[256];

	/* RFC 8785 3.2.2.2, without the numbers (floats are refused here) */
	T_EQ_INT(canon("{\"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\","
	    " \"literals\": [null, true, false]}", out, sizeof(out)), 0);
	T_EQ_STR(out, "{\"literals\":[null,true,false],\"string\":"
	    "\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

static void
rfc8785_sort_order(void)
{
	char out[256];

	/* RFC 8785 3.2.3: by UTF-16 code units, so the emoji (D83D) sorts
	 * before U+FB33 although its UTF-8 bytes sort after */
	T_EQ_INT(canon("{\"\\u20ac\": \"Euro Sign\", \"\\r\": \"Carriage Return\","
	    " \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\", \"1\": \"One\","
	    " \"\\ud83d\\ude00\": \"Emoji: Grinning Face\", \"\\u0080\": \"Control\","
	    " \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"}", out, sizeof(out)), 0);
	T_EQ_STR(out, "{\"\\r\":\"Carriage Return\",\"1\":\"One\","
	    "\"\xc2\x80\":\"Control\",\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
	    "\"\xe2\x82\xac\":\"Euro Sign\",\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
	    "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

static void
controls_and_raw_unicode(void)
{
	char out[256];

	T_EQ_INT(canon("[\"\\u0001\\u001f\\u007f\\b\\f\\t\\r\\u2028\"]", out, sizeof(out)), 0);
	T_EQ_STR(out, "[\"\\u0001\\u001f\x7f\\b\\f\\t\\r\xe2\x80\xa8\"]");
}

static void
integers_only_in_safe_range(void)
{
	char out[64];

	T_EQ_INT(canon("[9007199254740991, -9007199254740991, 0]", out, sizeof(out)), 0);
	T_EQ_STR(out, "[9007199254740991,-9007199254740991,0]");
	T_EQ_INT(canon("[9007199254740992]", out, sizeof(out)), -1);
	T_EQ_INT(canon("[1.5]", out, sizeof(out)), -1);
}

static void
nested_and_empty(void)
{
	char out[128];

	T_EQ_INT(canon("{\"b\": {\"z\": [], \"a\": {}}, \"a\": \"\"}", out, sizeof(out)), 0);
	T_EQ_STR(out, "{\"a\":\"\",\"b\":{\"a\":{},\"z\":[]}}");
}

static void
key_compare(void)
{
	T_ASSERT(jcs_key_cmp("a", 1, "b", 1) < 0);
	T_ASSERT(jcs_key_cmp("ab", 2, "a", 1) > 0);
	T_ASSERT(jcs_key_cmp("sig", 3, "sigalg", 6) < 0);
	T_ASSERT(jcs_key_cmp("sequence", 8, "sig", 3) < 0);
	T_ASSERT(jcs_key_cmp("\xf0\x9f\x98\x80", 4, "\xef\xac\xb3", 3) < 0);
	T_EQ_INT(jcs_key_cmp("x", 1, "x", 1), 0);
}

/* Integers past 2^53-1 become strings before parsing, so they stay exact
 * (u64 counters past 2^63-1 included); strings and floats are untouched. */
static void
big_ints_quoted(void)
{
	static const char in[] = "{\"a\":18446744073709551615,\"b\":1,"
	    "\"c\":-9007199254740993,\"d\":9007199254740991,"
	    "\"e\":\"12345678901234567890\",\"f\":1.5e300,"
	    "\"g\":[12345678901234567890],\"h\":\"x\\\"99999999999999999\"}";
	static const char want[] = "{\"a\":\"18446744073709551615\",\"b\":1,"
	    "\"c\":\"-9007199254740993\",\"d\":9007199254740991,"
	    "\"e\":\"12345678901234567890\",\"f\":1.5e300,"
	    "\"g\":[\"12345678901234567890\"],\"h\":\"x\\\"99999999999999999\"}";
	struct buf b;

	buf_init(&b, 64, 4096);
	T_EQ_INT(jcs_quote_big_ints(in, sizeof(in) - 1, &b), 0);
	T_EQ_INT(b.len, sizeof(want) - 1);
	T_ASSERT(memcmp(b.p, want, b.len) == 0);
	buf_free(&b);
}

void
jcs_tests(void)
{
	RUN(big_ints_quoted);
	RUN(rfc8785_string_example);
	RUN(rfc8785_sort_order);
	RUN(controls_and_raw_unicode);
	RUN(integers_only_in_safe_range);
	RUN(nested_and_empty);
	RUN(key_compare);
}
