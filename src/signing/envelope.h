/*
 * envelope.h - read the envelope of a line as cellos-telemetryd writes it,
 * without parsing the JSON: the members after "data" in their canonical
 * order and exact shapes. verify uses it for a fast path: when the bytes
 * of a line, cut where the template says, verify against its signature or
 * chain, the line is exactly what the daemon wrote, so the fields read
 * here are what a full parse would give. Anything else takes the slow
 * path (a full parse and RFC 8785 canonicalization).
 *
 *   {["chain":"C43",]"data":{...},"datacontenttype":"application/json",
 *    "id":"SID-N","sequence":"N20"[,"sig":"S"],"sigalg":"A","sigkid":"K",
 *    "source":"urn:cellos:cell:ID","specversion":"1.0","streamid":"SID",
 *    "time":"T30","type":"TYPE"}
 */
#ifndef ENVELOPE_H
#define ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

struct envelope {
	const char *chain;      /* 43 base64url characters, or NULL */
	const char *sig;        /* its text, or NULL */
	size_t sig_len;
	size_t chain_cut;       /* bytes of "chain":"...", after the '{' */
	size_t sig_at;          /* offset of ,"sig":"...", and its length */
	size_t sig_cut;
	char streamid[33];
	uint64_t seq;
	char alg[16];
	char kid[129];
	char type[128];
	char cell[160];           /* source without urn:cellos:cell: */
};

/* 0 when line[0, n) has exactly the template's envelope, -1 otherwise. */
int envelope_scan(const char *line, size_t n, struct envelope *e);

#endif
