/*
 * fuzz_verify.c - verify's line parser on arbitrary lines, with one known
 * Ed25519 key registered (the seed corpus holds lines it signed, so the
 * fuzzer reaches past the signature checks). Checks: no crash or leak,
 * a line that verifies names the registered key, and a chain line is
 * linked only when the chain before it was given.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys.h"
#include "verify_line.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct verify_keys ks;
static struct verify_scratch s;
static struct key k;
static int ready;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char zero[CHAIN_BYTES];
	struct verify_ring r;
	struct verify_line L;
	char why[256];
	int ok;

	if (!ready) {
		char err[64];

		if (sodium_init() < 0 ||
		    keys_from_text("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
		    43, ALG_ED25519, &k, err, sizeof(err)) != 0)
			abort();
		verify_keys_add_ed25519(&ks, k.kid, k.pk);
		verify_scratch_init(&s);
		ready = 1;
	}
	verify_ring_init(&r, &ks);
	/* both ways: with the chain before it known, and not */
	ok = verify_line_check(&r, &s, (const char *)data, size, zero,
	    size & 1, &L, why, sizeof(why));
	if (ok && (memmem(data, size, k.kid, strlen(k.kid)) == NULL ||
	    (L.chained && !L.seal && L.linked != 1)))
		abort();
	verify_line_clear(&L);
	ok = verify_line_check(&r, &s, (const char *)data, size, NULL, 0, &L,
	    why, sizeof(why));
	if (ok && L.chained && L.linked != -1)
		abort();
	verify_line_clear(&L);
	verify_ring_free(&r);
	return 0;
}
