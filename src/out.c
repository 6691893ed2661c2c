/*
 * out.c - stdout queue (see include/out.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "out.h"

#define OUT_SLOW_WRITE_NS 1000000ull     /* 1 ms */
#define OUT_PIPE_SIZE (1024 * 1024)

void
out_init(struct out *o, int fd, uint64_t *blocked_ns)
{
	o->fd = fd;
	/* a deeper pipe lets a reader that runs in bursts keep up without
	 * stalling us; best effort (the kernel caps it, other fds ignore it) */
	fcntl(fd, F_SETPIPE_SZ, OUT_PIPE_SIZE);
	buf_init(&o->q, OUT_HIGH_WATER + 8192, OUT_MAX);
	o->blocked_ns = blocked_ns;
}

void
out_free(struct out *o)
{
	buf_free(&o->q);
}

int
out_full(const struct out *o)
{
	return o->q.len >= OUT_HIGH_WATER;
}

int
out_flush(struct out *o)
{
	size_t off = 0;
	struct pollfd p = { .fd = o->fd, .events = POLLOUT };

	while (off < o->q.len) {
		uint64_t t0 = mono_ns(), dt;
		int waited = 0;
		ssize_t n;

		/* not writable now: everything until it is counts as blocked */
		if (poll(&p, 1, 0) == 0) {
			waited = 1;
			while (poll(&p, 1, -1) < 0 && errno == EINTR)
				;
		}
		/* a blocking write into a nearly full pipe also waits inside
		 * write(); an unhindered one takes microseconds */
		n = write(o->fd, o->q.p + off, o->q.len - off);
		dt = mono_ns() - t0;
		if (waited || dt > OUT_SLOW_WRITE_NS)
			*o->blocked_ns += dt;
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == 0)
			errno = EIO;
		return -1;
	}
	o->q.len = 0;
	/* a burst (a huge probe line) may have grown the queue: give it back */
	buf_shrink(&o->q, OUT_HIGH_WATER + 8192);
	return 0;
}
