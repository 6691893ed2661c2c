/*
 * util.c - fatal errors, checked allocation, number and duration parsing
 * (see include/util.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
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

	fprintf(stderr, "%s%s: ", log_error_prefix(), progname);
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

	fprintf(stderr, "%s%s: ", log_error_prefix(), progname);
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
void
die_out_of_memory(size_t n)
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
		die_out_of_memory(n);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		die_out_of_memory(n);
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

/* Edit distance, small strings only (option names). */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return 99;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) :
			    (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(prev[0]));
	}
	return prev[lb];
}

const char *
util_nearest_option(const char *arg, const struct option *opts)
{
	const char *best = NULL, *word = arg;
	char name[64];
	size_t d, bestd = 4, n;

	while (*word == '-')
		word++;
	n = strcspn(word, "=");
	if (n >= sizeof(name))
		return NULL;
	memcpy(name, word, n);
	name[n] = '\0';
	for (; opts->name != NULL; opts++) {
		d = distance(name, opts->name);
		/* a prefix of a longer flag counts as close too */
		if (strncmp(opts->name, name, n) == 0 && n >= 3)
			d = d < 2 ? d : 2;
		if (d < bestd) {
			bestd = d;
			best = opts->name;
		}
	}
	return best;
}
