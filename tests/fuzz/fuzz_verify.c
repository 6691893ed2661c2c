/*
 * fuzz_verify.c - verify's line parser on arbitrary lines, with one known
 * Ed25519 key registered (the seed corpus holds lines it signed, so the
 * fuzzer reaches the sequence and stopped checks). Checks: no crash or
 * leak, and a line that verifies names the registered key.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys.h"
#include "verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct verify v;
static struct key k;
static int ready;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];

	if (!ready) {
		char err[64];

		if (sodium_init() < 0 ||
		    keys_from_text("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
		    43, ALG_ED25519, &k, err, sizeof(err)) != 0)
			abort();
		ready = 1;
	}
	verify_init(&v);
	verify_add_ed25519(&v, k.kid, k.pk);
	if (verify_line(&v, (const char *)data, size, why, sizeof(why)) &&
	    (memmem(data, size, k.kid, strlen(k.kid)) == NULL))
		abort();
	return 0;
}
