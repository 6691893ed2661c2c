/*
 * verify.h - `cellos-telemetry verify` (SPEC sections 9, 12, 15): checks
 * what a fleet holds of cellos-telemetryd streams, in any number of files
 * holding chunks of any number of streams in any order, and says exactly
 * what is proven, what is missing and what is forged.
 *
 *   verify_input.c   the files, the chunk index, the per-stream merge
 *   verify_line.c    one line, strictly (canonical bytes, signature, chain)
 *   verify_stream.c  one stream in sequence order, and its verdict
 *   verify_keys.c    trusted keys, and each stream's ring (rotation)
 *   verify_state.c   --state: cursors kept between runs
 *   verify_report.c  messages, the stderr summary, the JSON report
 *   verify.c         a run: the passes, threads over streams, outputs
 */
#ifndef VERIFY_H
#define VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "verify_keys.h"
#include "verify_stream.h"

/* Exit codes of a verdict (SPEC section 15). */
enum { VERIFY_EXIT_OK = 0, VERIFY_EXIT_TAMPERED = 1,
	VERIFY_EXIT_INCOMPLETE = 2 };

#define VERIFY_MAX_JOBS 256

struct verify_config {
	struct verify_keys keys;
	int partial, print, single_stream;
	const char *expect_cell, *expect_run, *expect_stream;
	const char *report;             /* --report FILE, "-" stdout */
	const char *output;             /* --output FILE */
	const char *state;              /* --state FILE */
	unsigned jobs;                  /* 1: no threads */
	uint64_t part_i, part_n;        /* --partition I/N; part_n 0: all */
	size_t pending_max;
};

void verify_config_init(struct verify_config *c);

/*
 * Verify files[0, n) ("-" is stdin; none: stdin). Problems and the
 * summary go to stderr, verified lines to stdout (--print) or the
 * --output file, the JSON report to --report. Returns the exit code:
 * 0 everything proven and complete, 1 tampering, 2 incomplete but
 * nothing forged, or 64, 65, 66, 71, 74 with a message on stderr.
 */
int verify_run(struct verify_config *c, char *const *files, size_t n);

#endif
