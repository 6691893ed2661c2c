/* main.c - runs every unit test group and prints the tally. */
#include <stdlib.h>

#include <sodium.h>

#include "t.h"

int t_failed_now;
static int passed, failed, number;

void
t_run(const char *name, void (*fn)(void))
{
	t_failed_now = 0;
	fn();
	number++;
	if (t_failed_now) {
		failed++;
		printf("not ok %d - %s\n", number, name);
	} else {
		passed++;
		printf("ok %d - %s\n", number, name);
	}
	fflush(stdout);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 2;
	util_tests();
	wire_tests();
	keys_tests();
	jcs_tests();
	event_tests();
	keepalive_tests();
	verify_tests();
	probe_tests();
	stats_tests();
	sandbox_tests();
	printf("unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
