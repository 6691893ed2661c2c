/*
 * util.h - what every module needs: exit codes, fatal errors, checked
 * allocation, and parsing of numbers and durations from the command line.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* sysexits(3) codes used throughout (SPEC section 7). */
enum {
	EXIT_USAGE = 64, EXIT_DATAERR = 65, EXIT_NOINPUT = 66, EXIT_SOFTWARE = 70, EXIT_OSERR = 71,
	EXIT_INUSE = 73, EXIT_IOERR = 74, EXIT_NOPERM = 77, EXIT_CONFIG = 78
};

/* Allocation failure is a broken invariant here: a logfmt line on stderr,
 * the fatal hook, exit 71. Never returns NULL. Both programs also give
 * these to jansson (json_set_alloc_funcs), so no JSON value is ever
 * silently missing a member. */
void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
/* What xmalloc does when n bytes could not be had (a library call that
 * failed with ENOMEM, too): the logfmt line, the fatal hook, exit 71. */
void die_out_of_memory(size_t n) __attribute__((noreturn));
/* Called on an out-of-memory exit, before exit(): must not allocate
 * (the daemon unlinks its socket there). */
void util_set_fatal_hook(void (*fn)(void));

/* Print "prog: message" to stderr and exit with code. */
void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void util_set_progname(const char *name);
/* A usage error: "prog: message", then hint (usage text or where to find
 * it), exit 64. */
void die_usage(const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

struct option;
/* The long option closest to a misspelt arg ("--cel-id", "--cell"), or NULL
 * when none is close: for "did you mean --cell-id?". */
const char *util_nearest_option(const char *arg, const struct option *opts);

/* Parse a decimal unsigned integer in [min, max]; 0 on success, -1 if not. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Parse "250ms", "10s", "2m" or a bare number of seconds into ms. */
int parse_duration_ms(const char *s, uint64_t *ms);

#endif
