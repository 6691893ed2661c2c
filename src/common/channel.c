/*
 * channel.c - what both ends of the channel share (see channel.h).
 */
#include <string.h>

#include "channel.h"

static const char *const close_reasons[] = {
	"eof", "read_error", "framing_error", "frame_timeout", "shutdown",
};
#define NCLOSE (sizeof(close_reasons) / sizeof(close_reasons[0]))

const char *
chan_close_reason(unsigned code)
{
	return code < NCLOSE ? close_reasons[code] : NULL;
}

unsigned
chan_close_code(const char *reason)
{
	unsigned i;

	for (i = 0; i < NCLOSE; i++)
		if (strcmp(close_reasons[i], reason) == 0)
			return i;
	return NCLOSE;
}
