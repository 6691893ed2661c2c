/*
 * verify_line.h - one line, strictly (SPEC sections 5, 6, 12, 15).
 *
 * The daemon writes only canonical lines, so a line passes only if its
 * bytes are exactly the RFC 8785 form of its parsed value, its binary
 * members (sig, chain) are canonical base64url of their exact length, and
 * in chain mode only seal types carry sig (always a string). A fast path
 * checks the line's own bytes, cut where envelope.h says, against its
 * signature or chain: bytes that verify are the bytes the daemon wrote.
 * Anything else is parsed, re-canonicalized and compared byte for byte.
 *
 * What a line's place in its stream means (sequence, duplicates, seals
 * proving the lines before them) is verify_stream.c's business.
 */
#ifndef VERIFY_LINE_H
#define VERIFY_LINE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "chain.h"
#include "verify_keys.h"

/* Longest line verify reads: 32 times the daemon's longest (1 MiB). */
#define VERIFY_LINE_MAX ((size_t)1 << 20)
/* Lines up to this long (twice the daemon's longest) take the fast path. */
#define VERIFY_FAST_MAX ((size_t)64 * 1024)
#define VERIFY_ID_MAX 160        /* cell and run ids: 128 by the daemon */

/* Per-thread working space. */
struct verify_scratch {
	char cut[VERIFY_FAST_MAX];
	size_t cut_len;
	struct buf canon;
};

void verify_scratch_init(struct verify_scratch *s);
void verify_scratch_free(struct verify_scratch *s);

/* What a line says, once checked. */
struct verify_line {
	char sid[33];
	uint64_t seq;
	char type[128];
	char kid[KEY_KID_MAX];
	char alg[16];
	char cell[VERIFY_ID_MAX];       /* from source */
	int chained;                    /* carries chain (sealed chain mode) */
	int seal;                       /* chain mode: a seal type */
	int have_chain;                 /* chain below is the line's claim */
	unsigned char chain[CHAIN_BYTES];
	int linked;     /* 1 chain follows prev, 0 it does not, -1 no prev */
	int sig_ok;                     /* carries sig and it verified */
	json_t *ev;                     /* parsed (without sig); owned */
};

/*
 * Check line[0, n) (no '\n'). prev is the chain value of the line before
 * it in its stream (32 zero bytes before sequence 1), or NULL when that
 * line is absent (then linked is -1). Signatures are
 * checked with ring, which may learn an HMAC kid. With want_json, or for
 * the types whose data a stream check reads (stopped, frames_rejected,
 * seal, key_rotated), L->ev holds the parsed event.
 * Returns 1 when the line is sound: a good signature in line mode; in
 * chain mode a good seal, or a canonical line that follows prev (linked
 * 1) or has none (linked -1). Returns 0 with why set otherwise, a chain
 * that does not follow prev included (linked 0); L->sid, seq and
 * have_chain are filled as far as they could be read. Free with
 * verify_line_clear.
 */
int verify_line_check(struct verify_ring *ring, struct verify_scratch *s,
    const char *line, size_t n, const unsigned char *prev, int want_json,
    struct verify_line *L, char *why, size_t whylen);

void verify_line_clear(struct verify_line *L);

/* Only the stream and sequence a line claims, for indexing: 0, or -1
 * when it names none (then why says why). */
int verify_line_locate(const char *line, size_t n, char sid[33],
    uint64_t *seq, char *why, size_t whylen);

/* 1 when s is 32 lowercase hex characters. */
int verify_is_streamid(const char *s);

#endif
