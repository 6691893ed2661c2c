/*
 * clock.h - clocks in nanoseconds and RFC 3339 timestamps.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

/* Clocks in nanoseconds. */
uint64_t mono_ns(void);
uint64_t real_ns(void);

/* RFC 3339 UTC with 9 fraction digits and Z; out needs 31 bytes. */
void rfc3339_ns(uint64_t ns, char out[31]);

#endif
