/*
 * verify_state.h - --state FILE (SPEC section 15): each stream's cursor
 * kept between runs, so chunks are verified once, as they land.
 *
 * Per stream: the last sequence, the chain value, sealed-to, the lines
 * waiting for a seal, the missing and unproven ranges, the gaps with
 * what a late chunk needs to prove its lines (the chain before, the line
 * after), the key ids a rotation introduced, the counts, and a digest
 * (BLAKE2b-128) of every line present, to tell a redelivery from
 * equivocation in a later run.
 *
 * The file: a header line naming the format, its version and a digest of
 * the key set (a state of another format or key set is refused: 65),
 * then one line per stream,
 * "<streamid> <JSON>". It is read once for an index of its lines; each
 * stream's line is read back when that stream is verified, and its new
 * line written to a spool as soon as it is done, so memory holds the
 * streams being verified, not the whole state. The new file is written
 * beside the old, synced and renamed over it: a crash leaves the old or
 * the new state, never a mix.
 */
#ifndef VERIFY_STATE_H
#define VERIFY_STATE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "verify_input.h"
#include "verify_keys.h"
#include "verify_stream.h"

#define VERIFY_STATE_FORMAT "cellos-telemetry verify state"
#define VERIFY_STATE_VERSION 1

struct verify_state_rec {
	char id[33];
	uint64_t off;                   /* in the old file */
	size_t len;
	int64_t spool_off;              /* the new line, -1: keep the old */
	size_t spool_len;
	int old;                        /* read from the file */
};

struct verify_state {
	const char *path;               /* NULL: no --state */
	int fd;                         /* the old file, or -1 */
	char header[256];
	struct verify_state_rec *recs;  /* by streamid */
	size_t n, cap, nold;
	FILE *spool;
	pthread_mutex_t lock;
	const struct verify_keys *keys;
};

/* Open path's state (a missing file is an empty state). 0, or 65 (another
 * format or key set), 66/71/74 with err set. partial is unused: a state
 * serves runs with and without --partial. */
int verify_state_load(struct verify_state *vs, const char *path,
    const struct verify_keys *ks, int partial, char *err, size_t errlen);

/* The index of the streams this run holds: each gets its old record or a
 * new one. Call once, after the input index is built. */
void verify_state_streams(struct verify_state *vs,
    const struct verify_index *ix);

/* Restore stream i (of the input index) from its old record, if any.
 * 0, or -1 with err set (a damaged record). */
int verify_state_resume(struct verify_state *vs, size_t i,
    struct verify_stream *st, char *err, size_t errlen);

/* Stream i is done: its new record goes to the spool. 0 or -1. */
int verify_state_keep(struct verify_state *vs, size_t i,
    const struct verify_stream *st);

/* Write the new state beside the old, sync, rename. 0, or an exit code
 * with err set. */
int verify_state_save(struct verify_state *vs, char *err, size_t errlen);

void verify_state_free(struct verify_state *vs);

#endif
