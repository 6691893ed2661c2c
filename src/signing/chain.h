/*
 * chain.h - sealed chain signing (SPEC section 12). Every line carries
 *
 *   chain_n = BLAKE2b-256(chain_{n-1} || C_n),  chain_0 = 32 zero bytes,
 *
 * C_n being the RFC 8785 bytes of the event without "chain" and "sig";
 * only seal lines (started, checkpoint, stopped, seal) carry "sig", over
 * the event without "sig", so one signature commits to every line before.
 */
#ifndef CHAIN_H
#define CHAIN_H

#include <stddef.h>
#include <stdint.h>

#define CHAIN_BYTES 32
#define CHAIN_TEXT 43           /* base64url of 32 bytes, no padding */

/* next = BLAKE2b-256(prev || msg[0, n)); next may be prev. */
void chain_next(const unsigned char prev[CHAIN_BYTES], const void *msg,
    size_t n, unsigned char next[CHAIN_BYTES]);

/* 1 when an event of this type is a seal line. */
int chain_is_seal(const char *type);

#endif
