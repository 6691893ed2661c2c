/*
 * wire.c - the frame format's names and length prefix (see wire.h): what
 * every program needs to speak of frames without decoding one.
 */
#include <stdio.h>
#include <string.h>

#include "wire.h"

static const char *const reason_names[WIRE_REASON_COUNT] = {
	[WIRE_OK] = "ok",
	[WIRE_FRAME_TOO_LARGE] = "frame_too_large",
	[WIRE_TRUNCATED_FRAME] = "truncated_frame",
	[WIRE_EMPTY_FRAME] = "empty_frame",
	[WIRE_MALFORMED_CBOR] = "malformed_cbor",
	[WIRE_UNSUPPORTED_CBOR] = "unsupported_cbor",
	[WIRE_NOT_A_MAP] = "not_a_map",
	[WIRE_CONTENT_VERSION_NOT_FIRST] = "content_version_not_first",
	[WIRE_UNSUPPORTED_VERSION] = "unsupported_version",
	[WIRE_MISSING_FIELD] = "missing_field",
	[WIRE_DUPLICATE_KEY] = "duplicate_key",
	[WIRE_WRONG_TYPE] = "wrong_type",
	[WIRE_INTEGER_OVERFLOW] = "integer_overflow",
	[WIRE_INVALID_TEXT] = "invalid_text",
	[WIRE_TEXT_TOO_LONG] = "text_too_long",
	[WIRE_TOO_MANY_KEYS] = "too_many_keys",
	[WIRE_TRAILING_BYTES] = "trailing_bytes",
	[WIRE_UNKNOWN_PROBE_SOURCE] = "unknown_probe_source",
	[WIRE_FRAME_TIMEOUT] = "frame_timeout",
	[WIRE_RATE_LIMITED] = "rate_limited",
};

const char *
wire_reason_name(enum wire_reason r)
{
	if ((unsigned)r >= WIRE_REASON_COUNT)
		return "unknown";
	return reason_names[r];
}

static const struct named builtin_sources[] = {
	NAMED("process.spawned"), NAMED("process.exited"),
	NAMED("capability.denied"), NAMED("fs.inotify_fired"),
	NAMED("net.connect_attempted"), NAMED("agent.heartbeat"),
};

int
wire_source_known(const char *name, size_t len, const struct wire_sources *extra)
{
	size_t i;

	for (i = 0; i < sizeof(builtin_sources) / sizeof(builtin_sources[0]); i++)
		if (builtin_sources[i].n == len &&
		    memcmp(builtin_sources[i].s, name, len) == 0)
			return 1;
	for (i = 0; extra != NULL && i < extra->n; i++)
		if (strlen(extra->name[i]) == len &&
		    memcmp(extra->name[i], name, len) == 0)
			return 1;
	return 0;
}

int
wire_source_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > WIRE_MAX_TEXT)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

void
wire_put_len(uint8_t out[WIRE_LEN_BYTES], uint32_t len)
{
	out[0] = (uint8_t)(len & 0xFF);
	out[1] = (uint8_t)(len >> 8 & 0xFF);
	out[2] = (uint8_t)(len >> 16 & 0xFF);
	out[3] = (uint8_t)(len >> 24 & 0xFF);
}

uint32_t
wire_get_len(const uint8_t in[WIRE_LEN_BYTES])
{
	return (uint32_t)in[0] | (uint32_t)in[1] << 8 | (uint32_t)in[2] << 16 |
	    (uint32_t)in[3] << 24;
}
