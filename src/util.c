/*
 * util.c - fatal errors, checked allocation, number and duration parsing
 * (see include/util.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static const char *progname = "cellos-telemetry";

void
util_set_progname(const char *name)
{
	progname = name;
}

void
die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

void
die_usage(const char *hint, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", hint);
	exit(EXIT_USAGE);
}

static void (*fatal_hook)(void);

void
util_set_fatal_hook(void (*fn)(void))
{
	fatal_hook = fn;
}

/* A logfmt line and exit 71; nothing here allocates. */
static void
out_of_memory(size_t n)
{
	char line[160];
	int len;

	len = snprintf(line, sizeof(line), "level=error msg=\"out of memory; "
	    "exiting\" prog=%s bytes=%zu exit=%d\n", progname, n, EXIT_OSERR);
	/* nothing more to do if stderr is gone too */
	if (len > 0 && write(STDERR_FILENO, line, (size_t)len) < 0)
		errno = ENOMEM;
	if (fatal_hook != NULL)
		fatal_hook();
	exit(EXIT_OSERR);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		out_of_memory(n);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		out_of_memory(n);
	return q;
}

int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
parse_duration_ms(const char *s, uint64_t *ms)
{
	char num[32];
	const char *unit;
	size_t n;
	uint64_t v, mult;

	for (n = 0; s[n] >= '0' && s[n] <= '9'; n++)
		;
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	unit = s + n;
	if (strcmp(unit, "ms") == 0)
		mult = 1;
	else if (strcmp(unit, "s") == 0 || *unit == '\0')
		mult = 1000;
	else if (strcmp(unit, "m") == 0)
		mult = 60000;
	else
		return -1;
	/* a day is far beyond any sensible timeout; it also keeps ns in range */
	if (parse_u64(num, 0, 86400000 / mult, &v) != 0)
		return -1;
	*ms = v * mult;
	return 0;
}
