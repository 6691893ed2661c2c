/*
 * verify_input.h - what verify reads: any number of files (and stdin),
 * holding chunks of any number of streams in any order (SPEC section 15).
 *
 * A first pass reads every file once and indexes chunks: a chunk is a run
 * of consecutive lines of one file, of one stream, with consecutive
 * sequence numbers, kept as a file offset and a range of sequences, not
 * as lines. Memory is bounded by the number of streams and chunks. Then
 * each stream is read back in sequence order by merging its chunks
 * (verify_merge), with redelivered copies of a line side by side.
 *
 * stdin is read directly when it is a regular file, else copied to an
 * unlinked temporary file as the first pass reads it.
 */
#ifndef VERIFY_INPUT_H
#define VERIFY_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct verify_file {
	char *name;
	int fd;
};

struct verify_chunk {
	uint32_t file;
	uint32_t stream;
	uint64_t off, end;              /* bytes [off, end) of the file */
	uint64_t lineno;                /* of its first line, from 1 */
	uint64_t first, last;           /* sequences */
};

struct verify_sref {
	char id[33];
	size_t first_chunk, nchunks;    /* in order[] */
};

/* A line no stream can own (not JSON, no streamid, too long...). */
typedef void (*verify_bad_fn)(void *ctx, const char *file, uint64_t lineno,
    const char *why);

struct verify_index {
	struct verify_file *files;
	size_t nfiles;
	struct verify_chunk *chunks;
	size_t nchunks, capchunks;
	struct verify_sref *streams;    /* in the order they first appear */
	size_t nstreams, capstreams;
	size_t *hash, hcap;             /* stream index + 1, open addressing */
	size_t *order;                  /* chunks by stream, first sequence */
	uint64_t part_i, part_n;        /* --partition I/N, N = 0: all */
	uint64_t lines;                 /* lines of this partition read */
	uint64_t other;                 /* lines of other partitions */
	uint64_t unowned;               /* lines no stream owns */
	verify_bad_fn bad;
	void *bad_ctx;
};

void verify_index_init(struct verify_index *ix, uint64_t part_i,
    uint64_t part_n, verify_bad_fn bad, void *ctx);
void verify_index_free(struct verify_index *ix);

/* Open FILE ("-": stdin) for the first pass; 0, or 66 with err set. */
int verify_index_open(struct verify_index *ix, const char *path, char *err,
    size_t errlen);

/* The first pass over every opened file, then the chunk order. 0, or an
 * exit code (74 a read error, 71 no temporary file) with err set. */
int verify_index_build(struct verify_index *ix, char *err, size_t errlen);

/* Which partition a stream id falls in: its first 16 hex digits as a
 * number, modulo n. */
uint64_t verify_partition_of(const char *sid, uint64_t n);

/* Reads one chunk back, line by line. */
struct verify_reader {
	const struct verify_chunk *c;
	int fd;
	uint64_t off;                   /* next byte to read */
	uint64_t seq, lineno;           /* of the current line */
	struct buf b;
	size_t pos;                     /* start of the unread bytes in b */
	const char *line;
	size_t len;
	int started;
};

/*
 * The lines of one stream in sequence order. Each step gives every copy
 * of the next sequence present (from all chunks holding it, in input
 * order): verify_merge_next returns how many (0 at the end, -1 on a read
 * error), with the readers in m->group[0..n).
 */
struct verify_merge {
	const struct verify_index *ix;
	const struct verify_sref *s;
	size_t next;                    /* next chunk of s to open */
	struct verify_reader **heap;    /* open readers by (seq, chunk) */
	size_t nheap, capheap;
	struct verify_reader **group;
	size_t ngroup;
};

void verify_merge_init(struct verify_merge *m, const struct verify_index *ix,
    size_t stream);
int verify_merge_next(struct verify_merge *m);
void verify_merge_free(struct verify_merge *m);

/* The file a reader reads and its current line number. */
const char *verify_reader_file(const struct verify_index *ix,
    const struct verify_reader *r);

#endif
