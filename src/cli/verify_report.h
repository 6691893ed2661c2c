/*
 * verify_report.h - what verify says (SPEC section 15): problem messages
 * with control bytes escaped, the human summary on stderr, and the JSON
 * report (schemas/verify-report.json): one object per stream, sorted by
 * streamid, then one for the totals, each in RFC 8785 form, so that the
 * merged reports of N partitions (verify --merge-reports) are byte for
 * byte the report of a single run.
 */
#ifndef VERIFY_REPORT_H
#define VERIFY_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "verify_stream.h"

/* Escape control bytes, DEL, backslash and invalid UTF-8 of in[0, n) as
 * \xNN into out (NUL-terminated, cut to cap). */
void verify_escape(const char *in, size_t n, char *out, size_t cap);

/* Problems that belong to no stream (lines nothing can own). */
struct verify_loose {
	struct verify_problem *shown;
	size_t nshown;
	uint64_t hidden;
};

/* The totals of a run (or of merged reports). */
struct verify_totals {
	uint64_t streams, ok, incomplete, tampered;
	uint64_t copies, lines, verified, dups, bad, equiv, unowned;
	uint64_t missing, unproven;
	int partial;
	uint64_t part_i, part_n;        /* part_n 0: everything */
};

/* Add one finished stream to the totals. */
void verify_totals_add(struct verify_totals *t, const struct verify_stream *st);

/* The exit code of the totals: 1 tampering, 2 incomplete, else 0. */
int verify_totals_exit(const struct verify_totals *t);

/* The stderr line naming a finished stream: its cell, run, key ids and
 * verdict with counts, into out. */
void verify_report_stream_line(const struct verify_stream *st, char *out,
    size_t cap);

/* The closing stderr line(s). */
void verify_report_summary(FILE *err, const struct verify_totals *t);

/* The JSON objects; the caller owns them. */
json_t *verify_report_stream_json(const struct verify_stream *st);
json_t *verify_report_totals_json(const struct verify_totals *t,
    const struct verify_loose *loose);

/* Write one JSON object as an RFC 8785 line. 0, or -1 on a write error. */
int verify_report_write(FILE *f, json_t *o);

/*
 * --merge-reports: read the JSON reports at paths, check each is whole
 * (its totals line present), and write the report of a single run over
 * all of them to out, with the summary on err. Returns the exit code of
 * the merged verdict, or 64/65/66 with err set.
 */
int verify_report_merge(char *const *paths, size_t n, FILE *out,
    FILE *errf, char *err, size_t errlen);

#endif
