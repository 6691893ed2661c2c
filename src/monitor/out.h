/*
 * out.h - the bounded stdout queue. Whole lines are appended, then written
 * with blocking writes: a full stdout stalls the loop, which stops reading
 * guests, so backpressure reaches the guest through the vsock credit and
 * memory stays bounded. Time spent waiting is counted.
 *
 * Lines are never torn: on a pipe or FIFO every write() carries whole lines
 * and at most PIPE_BUF bytes, so daemons sharing one pipe never interleave;
 * on a regular file a failed write (a full disk) is cut back to the last
 * whole line.
 */
#ifndef OUT_H
#define OUT_H

#include <stdint.h>

#include "buf.h"
#include "util.h"

#define OUT_HIGH_WATER ((size_t)64 * 1024)     /* flush once this much is queued */
#define OUT_MAX ((size_t)16 * 1024 * 1024)     /* the queue's ceiling */

struct out {
	int fd;
	int is_pipe;            /* pipe or FIFO: atomic writes of whole lines */
	int is_file;            /* regular file: cut back on a failed write */
	struct buf q;
	uint64_t *blocked_ns;   /* where waiting time is added */
};

void out_init(struct out *o, int fd, uint64_t *blocked_ns);
void out_free(struct out *o);
/* 1 when the queue should be written before more input is taken. */
int out_full(const struct out *o);
/* Write everything queued. 0, or -1 with errno (EPIPE, EIO...). */
int out_flush(struct out *o);

#endif
