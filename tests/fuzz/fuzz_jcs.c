/*
 * fuzz_jcs.c - the canonical JSON writer on arbitrary strings and on JSON
 * documents. Checks: a valid UTF-8 string written by jcs_string parses back
 * to the same bytes; a document's canonical form parses back to an equal
 * value and is a fixed point (canonicalizing it again changes nothing).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "jcs.h"
#include "utf8.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
string_round_trip(const uint8_t *data, size_t size)
{
	struct buf b;
	json_t *v;
	json_error_t e;

	if (!utf8_valid(data, size))
		return;
	buf_init(&b, 64, 1 << 24);
	if (jcs_string(&b, (const char *)data, size) != 0)
		abort();
	v = json_loadb(b.p, b.len, JSON_DECODE_ANY, &e);
	if (v == NULL || !json_is_string(v) || json_string_length(v) != size ||
	    memcmp(json_string_value(v), data, size) != 0)
		abort();
	json_decref(v);
	buf_free(&b);
}

static void
document_fixed_point(const uint8_t *data, size_t size)
{
	json_error_t e;
	json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, &e), *w;
	struct buf a, b;

	if (v == NULL)
		return;
	buf_init(&a, 64, 1 << 24);
	buf_init(&b, 64, 1 << 24);
	if (jcs_value(&a, v) == 0) {
		w = json_loadb(a.p, a.len, JSON_DECODE_ANY, &e);
		if (w == NULL || !json_equal(v, w))
			abort();
		if (jcs_value(&b, w) != 0 || a.len != b.len ||
		    memcmp(a.p, b.p, a.len) != 0)
			abort();
		json_decref(w);
	}
	buf_free(&a);
	buf_free(&b);
	json_decref(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	string_round_trip(data, size);
	document_fixed_point(data, size);
	return 0;
}
