/*
 * clock.c - monotonic and real-time clocks, RFC 3339 timestamps (see
 * include/clock.h).
 */
#include <string.h>
#include <time.h>

#include "clock.h"

uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
put_digits(char *p, unsigned v, int width)
{
	while (width-- > 0) {
		p[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
rfc3339_ns(uint64_t ns, char out[31])
{
	/* the date and time of day change once a second: format them then */
	static time_t cached_sec = -1;
	static char cached[20];
	time_t sec = (time_t)(ns / 1000000000u);
	struct tm tm;

	if (sec == cached_sec) {
		memcpy(out, cached, 20);
		put_digits(out + 20, (unsigned)(ns % 1000000000u), 9);
		out[29] = 'Z';
		out[30] = '\0';
		return;
	}
	gmtime_r(&sec, &tm);
	/* YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ, by hand: this runs once per event */
	put_digits(out, (unsigned)(tm.tm_year + 1900), 4);
	out[4] = '-';
	put_digits(out + 5, (unsigned)tm.tm_mon + 1, 2);
	out[7] = '-';
	put_digits(out + 8, (unsigned)tm.tm_mday, 2);
	out[10] = 'T';
	put_digits(out + 11, (unsigned)tm.tm_hour, 2);
	out[13] = ':';
	put_digits(out + 14, (unsigned)tm.tm_min, 2);
	out[16] = ':';
	put_digits(out + 17, (unsigned)tm.tm_sec, 2);
	out[19] = '.';
	put_digits(out + 20, (unsigned)(ns % 1000000000u), 9);
	out[29] = 'Z';
	out[30] = '\0';
	memcpy(cached, out, 20);
	cached_sec = sec;
}
