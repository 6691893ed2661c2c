/*
 * verify_stream.h - one stream, line by line in sequence order (SPEC
 * sections 12 and 15): duplicates and equivocation, missing ranges, the
 * chain proven seal by seal (only the successor of a missing line stays
 * unproven), binding to the expected cell, run and stream, key rotation,
 * the stopped line's counters, and the verdict.
 *
 * verify_input.c's merge hands it every copy of each sequence present;
 * verify.c runs one of these per stream, on any thread.
 */
#ifndef VERIFY_STREAM_H
#define VERIFY_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "chain.h"
#include "verify_keys.h"
#include "verify_line.h"

/* What --state keeps of each line: BLAKE2b-128 of its bytes. */
#define VERIFY_DIGEST 16

/* Problems shown in full per stream; the rest are counted. */
#define VERIFY_SHOW 8
/* Lines of a chain stream held for --print until their seal. */
#define VERIFY_PENDING_MAX ((size_t)16 << 20)

/* What a run asks of every stream; read-only while streams run. */
struct verify_opts {
	const struct verify_keys *keys;
	int partial;
	const char *expect_cell, *expect_run, *expect_stream;
	int print;                      /* hand verified lines to emit */
	int keep;                       /* --state: digests and gaps */
	size_t pending_max;
	int name_files;                 /* several inputs: say which file */
	/* verified lines, in order, once; called from any thread */
	void (*emit)(void *ctx, const char *p, size_t n);
	void *emit_ctx;
	/* a problem message (already escaped), from any thread */
	void (*say)(void *ctx, const char *msg);
	void *say_ctx;
};

struct verify_range {
	uint64_t a, b;
};

/* Sequence ranges in increasing order, adjacent ones joined. */
struct verify_ranges {
	struct verify_range *r;
	size_t n, cap;
	uint64_t total;                 /* sequences covered */
};

/* Add or remove [a, b] (any order, overlaps allowed); 1 when seq is in. */
void verify_ranges_add(struct verify_ranges *rs, uint64_t a, uint64_t b);
void verify_ranges_remove(struct verify_ranges *rs, uint64_t a, uint64_t b);
int verify_ranges_has(const struct verify_ranges *rs, uint64_t seq);
void verify_ranges_free(struct verify_ranges *rs);

/* A problem as the report keeps it. */
struct verify_problem {
	char file[256];                 /* empty: about the stream */
	uint64_t line;                  /* 0: about the stream */
	uint64_t seq;                   /* 0: none */
	char msg[320];
};

/* Where a stream's chain stands after the lines read so far (chain
 * mode): the last line, its chain value, the lines waiting for a seal. */
struct verify_cursor {
	uint64_t last;
	unsigned char chain[CHAIN_BYTES];       /* of the line at last */
	int chain_known;
	uint64_t prev_seal;
	int have_prev_seal;
	uint64_t pend_first, npend;     /* linked lines waiting for a seal */
	char pend_file[256];
	uint64_t pend_lineno;
	struct buf pend;                /* their bytes, for --print */
	uint64_t succ;                  /* an unproven line the pending
					 * ones link from (0: none) */
};

/*
 * A gap, as --state keeps it so that a late chunk can fill it: the chain
 * value before it, the first of the lines it cut off from their seal,
 * and the line after it (raw), whose chain a verified seal may have
 * committed to. A complete fill that links into that line proves itself
 * and the lines cut off.
 */
struct verify_gap {
	uint64_t a, b;
	unsigned char before[CHAIN_BYTES];
	int have_before;
	uint64_t cut_first;             /* 0: none */
	char *succ;                     /* the line at b + 1, or NULL */
	size_t succ_len;
	int committed;                  /* a verified seal covers succ */
};

/* One copy of a line, where it was read. */
struct verify_copy {
	const char *line;
	size_t len;
	const char *file;
	uint64_t lineno;
};

struct verify_stream {
	char id[33];
	const struct verify_opts *o;
	char cell[VERIFY_ID_MAX], run[VERIFY_ID_MAX];
	int have_cell, have_run;
	char kids[4][KEY_KID_MAX];
	size_t nkids;
	int more_kids;
	int mode;                       /* 0 not yet, 'l' line, 'c' chain */
	int any;
	uint64_t first, last;           /* sequences present */
	struct verify_cursor cur;       /* where the chain stands */
	uint64_t sealed_to;             /* 0: no seal verified */
	int print_over;                 /* more than pending_max waited */
	struct verify_ranges missing, unproven;
	int prefix_missing;             /* [1, first - 1] is in missing */
	/* counts */
	uint64_t copies;                /* every copy read, duplicates too */
	uint64_t lines;                 /* distinct sequences present */
	uint64_t verified, dups, bad, equiv;
	/* the stopped line and what it must match */
	int stopped;
	uint64_t stopped_seq, st_acc, st_hb, st_rej, st_emitted;
	int st_counters;
	char stopped_file[256];
	uint64_t stopped_lineno;
	uint64_t guest_events, summary_rejected;
	const char *foreign;            /* why every line fails, or NULL */
	/* --state: a digest per line present, the gaps, a fill under way */
	unsigned char *dig;             /* VERIFY_DIGEST bytes per sequence */
	uint64_t dig_base, dig_n, dig_cap;
	struct verify_gap *gaps;
	size_t ngaps, capgaps;
	long fill;                      /* the gap being filled, or -1 */
	struct verify_cursor saved;     /* the main cursor meanwhile */
	struct verify_ring ring;
	struct verify_problem *shown;   /* VERIFY_SHOW once needed */
	size_t nshown;
	uint64_t hidden;
	/* verdict, after verify_stream_finish */
	int tampered, incomplete;
};

void verify_stream_init(struct verify_stream *st, const char *sid,
    const struct verify_opts *o);

/* Every copy of sequence seq (c[0] first in input order). */
void verify_stream_seq(struct verify_stream *st, struct verify_scratch *s,
    uint64_t seq, const struct verify_copy *c, size_t n);

/* After the last sequence: the tail, stopped's counters, the verdict. */
void verify_stream_finish(struct verify_stream *st, struct verify_scratch *s);

void verify_stream_free(struct verify_stream *st);

#endif
