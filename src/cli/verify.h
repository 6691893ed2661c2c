/*
 * verify.h - checks a stream of signed CloudEvent lines (SPEC section 9):
 * attributes, signature, known key id, per-stream contiguous sequence from 1,
 * no duplicates, and a consistent `stopped` line closing every stream.
 */
#ifndef VERIFY_H
#define VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "keys.h"

#define VERIFY_MAX_KEYS 64
#define VERIFY_MAX_STREAMS 256
/* Longest line verify reads: 32 times the daemon's longest (1 MiB). */
#define VERIFY_LINE_MAX ((size_t)1 << 20)
/* Lines up to this long (twice the daemon's longest) take the fast path. */
#define VERIFY_FAST_MAX ((size_t)64 * 1024)

struct verify_key {
	char kid[KEY_KID_MAX];
	enum key_alg alg;
	unsigned char pk[32];           /* Ed25519 */
	const struct key *hmac;         /* HMAC: borrowed */
};

struct verify_stream {
	char id[33];
	uint64_t last_seq;
	int stopped;
	uint64_t guest_events;          /* cell.observability.guest.<source> */
	uint64_t summary_rejected;      /* sum of frames_rejected summaries */
	int incomplete;                 /* a gap was reported */
	/* sealed chain streams (SPEC section 12) */
	int chained;
	unsigned char chain[32];        /* of the last line */
	uint64_t unsealed;              /* lines since the last good seal */
	uint64_t first_unsealed;        /* input line number of the first */
	struct buf pending;             /* those lines, for --print */
	int pending_lost;               /* too many to hold: not printed */
};

struct verify {
	struct verify_key keys[VERIFY_MAX_KEYS];
	size_t nkeys;
	struct verify_stream streams[VERIFY_MAX_STREAMS];
	size_t nstreams;
	uint64_t lineno, ok_lines, bad_lines;
	struct verify_stream *cur;      /* the last line's stream */
	char scratch[VERIFY_FAST_MAX];  /* a line's signed or hashed bytes */
	size_t scratch_len;
};

/* What verify_line found. */
enum { VERIFY_BAD = 0, VERIFY_OK = 1, VERIFY_PENDING = 2 };

/* Lines of a chain stream held for --print until their seal. */
#define VERIFY_PENDING_MAX ((size_t)16 << 20)

void verify_init(struct verify *v);
/* Register keys; return 0, or -1 when the table is full. */
int verify_add_ed25519(struct verify *v, const char *kid, const unsigned char pk[32]);
int verify_add_hmac(struct verify *v, const struct key *k);

/* Add every key of a {"kid": "base64url public key"} file. 0, or an exit
 * code with err set. */
int verify_add_keys_json(struct verify *v, const char *path, char *err,
    size_t errlen);

/* Check every line of in; problems go to stderr as "verify: line N: why",
 * verified lines to print when it is not NULL. Memory stays bounded: a
 * line over VERIFY_LINE_MAX is reported and skipped. */
void verify_stream(struct verify *v, FILE *in, FILE *print);

/* Check one line (without its '\n'). Returns VERIFY_OK when it verified
 * (a good seal also verifies the chain lines before it), VERIFY_PENDING
 * for a chain line whose seal is still to come, or VERIFY_BAD with why set
 * (no line number: the caller adds it). */
int verify_line(struct verify *v, const char *line, size_t n, char *why,
    size_t whylen);

/* After the last line: every stream must end with `stopped`. Returns the
 * number of streams left open, naming the first in why. */
int verify_finish(struct verify *v, char *why, size_t whylen);

#endif
