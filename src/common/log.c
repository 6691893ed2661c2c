/*
 * log.c - logfmt to stderr (see include/log.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static enum log_level current = LOG_INFO;
static void (*sink)(enum log_level lvl, const char *line, size_t n);
static int journal;     /* stderr goes to journald: "<N>" prefixes */
/* syslog priorities: err, warning, info, debug */
static const char *const prefixes[] = { "<3>", "<4>", "<6>", "<7>" };

void
log_set_journal(int on)
{
	journal = on;
}
const char *
log_error_prefix(void)
{
	return journal ? prefixes[LOG_ERROR] : "";
}

static const char *const names[] = { "error", "warn", "info", "debug" };

int
log_level_parse(const char *s, enum log_level *lvl)
{
	int i;

	for (i = 0; i <= LOG_DEBUG; i++)
		if (strcmp(s, names[i]) == 0) {
			*lvl = (enum log_level)i;
			return 0;
		}
	return -1;
}

void
log_set_level(enum log_level lvl)
{
	current = lvl;
}

int
log_enabled(enum log_level lvl)
{
	return lvl <= current;
}

const char *
log_quote(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)s;

	if (outlen < 8) {
		if (outlen > 0)
			out[0] = '\0';
		return out;
	}
	out[o++] = '"';
	for (; *p && o + 6 < outlen; p++) {
		if (*p == '"' || *p == '\\') {
			out[o++] = '\\';
			out[o++] = (char)*p;
		} else if (*p < 0x20 || *p >= 0x7f) {
			/* bytes outside printable ASCII are shown, never passed */
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", *p);
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

void
log_msg(enum log_level lvl, const char *msg, const char *kvfmt, ...)
{
	char line[1024], q[512];
	int n;
	va_list ap;

	if (!log_enabled(lvl))
		return;
	n = snprintf(line, sizeof(line), "level=%s msg=%s", names[lvl],
	    log_quote(msg, q, sizeof(q)));
	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	if (kvfmt != NULL && (size_t)n < sizeof(line) - 2) {
		int m;

		line[n++] = ' ';
		va_start(ap, kvfmt);
		m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, kvfmt, ap);
		va_end(ap);
		if (m > 0)
			n += m;
		if ((size_t)n > sizeof(line) - 2)
			n = (int)sizeof(line) - 2;
	}
	if (sink != NULL) {
		sink(lvl, line, (size_t)n);
		return;
	}
	log_line(lvl, line, (size_t)n);
}

void
log_set_sink(void (*fn)(enum log_level lvl, const char *line, size_t n))
{
	sink = fn;
}

void
log_line(enum log_level lvl, const char *line, size_t n)
{
	char out[1100];
	size_t o = 0;

	if (!log_enabled(lvl))
		return;
	if (journal) {
		memcpy(out, prefixes[lvl], 3);
		o = 3;
	}
	if (n > sizeof(out) - o - 1)
		n = sizeof(out) - o - 1;
	memcpy(out + o, line, n);
	out[o + n] = '\n';
	/* one write: lines from one process never interleave */
	fwrite(out, 1, o + n + 1, stderr);
	fflush(stderr);
}
