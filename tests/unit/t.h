/*
 * t.h - a minimal unit-test harness: TAP-like lines, one per test, and a
 * final "unit: N passed, N failed" line that scripts/run-tests adds up.
 */
#ifndef T_H
#define T_H

#include <stdio.h>
#include <string.h>

extern int t_failed_now;

void t_run(const char *name, void (*fn)(void));

#define T_FAIL(...) do { \
	t_failed_now = 1; \
	fprintf(stdout, "#   %s:%d: ", __FILE__, __LINE__); \
	fprintf(stdout, __VA_ARGS__); \
	fputc('\n', stdout); \
} while (0)

#define T_ASSERT(cond) do { if (!(cond)) { T_FAIL("assertion failed: %s", #cond); return; } } while (0)
#define T_EQ_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	if (_a != _b) { T_FAIL("%s == %lld, expected %lld", #a, _a, _b); return; } } while (0)
#define T_EQ_STR(a, b) do { const char *_a = (a), *_b = (b); \
	if (strcmp(_a, _b) != 0) { T_FAIL("%s == \"%s\", expected \"%s\"", #a, _a, _b); return; } } while (0)

#define RUN(fn) t_run(#fn, fn)

void wire_tests(void);
void util_tests(void);
void keys_tests(void);
void jcs_tests(void);
void event_tests(void);
void keepalive_tests(void);
void verify_tests(void);
void probe_tests(void);
void stats_tests(void);
void sandbox_tests(void);

#endif
