/*
 * chain.c - the hash chain of sealed chain signing (see include/chain.h).
 */
#include <string.h>

#include <sodium.h>

#include "chain.h"
#include "event_types.h"

void
chain_next(const unsigned char prev[CHAIN_BYTES], const void *msg, size_t n,
    unsigned char next[CHAIN_BYTES])
{
	crypto_generichash_state st;

	/* unkeyed BLAKE2b with a 32-byte output */
	crypto_generichash_init(&st, NULL, 0, CHAIN_BYTES);
	crypto_generichash_update(&st, prev, CHAIN_BYTES);
	crypto_generichash_update(&st, msg, n);
	crypto_generichash_final(&st, next, CHAIN_BYTES);
}

int
chain_is_seal(const char *type)
{
	return strcmp(type, EVENT_STARTED) == 0 ||
	    strcmp(type, EVENT_CHECKPOINT) == 0 ||
	    strcmp(type, EVENT_STOPPED) == 0 || strcmp(type, EVENT_SEAL) == 0 ||
	    strcmp(type, EVENT_KEY_ROTATED) == 0;
}
