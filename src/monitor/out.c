/*
 * out.c - stdout queue (see include/out.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "out.h"

#define OUT_SLOW_WRITE_NS 1000000ull     /* 1 ms */
#define OUT_PIPE_SIZE (1024 * 1024)
#define OUT_INITIAL (OUT_HIGH_WATER + 8192)

void
out_init(struct out *o, int fd, uint64_t *blocked_ns)
{
	struct stat st;

	memset(o, 0, sizeof(*o));
	o->fd = fd;
	if (fstat(fd, &st) == 0) {
		o->is_pipe = S_ISFIFO(st.st_mode);
		o->is_file = S_ISREG(st.st_mode);
	}
	/* a deeper pipe lets a reader that runs in bursts keep up without
	 * stalling us; best effort (the kernel caps it, other fds ignore it) */
	if (o->is_pipe)
		fcntl(fd, F_SETPIPE_SZ, OUT_PIPE_SIZE);
	buf_init(&o->q, OUT_INITIAL, OUT_MAX);
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

/*
 * The end of the next write starting at off. The queue holds whole lines
 * only. On a pipe, a write of at most PIPE_BUF bytes is atomic, so when
 * several writers share one pipe their lines never interleave: take as many
 * whole lines as fit (a single longer line goes alone; it cannot be atomic,
 * which is why lines are bounded far below, see OUT_LINE_MAX).
 */
static size_t
chunk_end(const struct out *o, size_t off)
{
	const char *p = o->q.p;
	size_t end = off, limit;

	if (!o->is_pipe)
		return o->q.len;
	limit = off + PIPE_BUF < o->q.len ? off + PIPE_BUF : o->q.len;
	for (;;) {
		const char *nl = memchr(p + end, '\n', o->q.len - end);
		size_t next = nl ? (size_t)(nl - p) + 1 : o->q.len;

		if (next > limit)
			return end > off ? end : next;
		end = next;
		if (end == o->q.len)
			return end;
	}
}

/* Write q[off, end), waiting while the fd is full. Returns bytes written;
 * on an error, fewer, with errno set. */
static size_t
write_span(struct out *o, size_t off, size_t end)
{
	struct pollfd p = { .fd = o->fd, .events = POLLOUT };
	size_t done = 0;

	while (off + done < end) {
		uint64_t t0 = mono_ns(), dt;
		ssize_t n;

		/* a blocking write into a full pipe waits inside write(); an
		 * unhindered one takes microseconds: the slow ones are the
		 * blocked time (one syscall per write, no probing poll) */
		n = write(o->fd, o->q.p + off + done, end - off - done);
		if (n < 0 && errno == EAGAIN) {
			/* a non-blocking stdout (inherited so): wait here */
			while (poll(&p, 1, -1) < 0 && errno == EINTR)
				;
		}
		dt = mono_ns() - t0;
		if (dt > OUT_SLOW_WRITE_NS)
			*o->blocked_ns += dt;
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == 0)
			errno = EIO;
		break;
	}
	return done;
}

/* A write failed after part of a line went out: cut a regular file back
 * to the last whole line, so the output never ends inside a line. The
 * file offset is found only now (our writes moved it by written), so a
 * write that succeeds costs no lseek. */
static void
cut_back(struct out *o, size_t off, size_t written)
{
	const char *p = o->q.p + off;
	size_t keep = written;
	int e = errno;
	off_t end = lseek(o->fd, 0, SEEK_CUR);
	off_t start = end >= (off_t)written ? end - (off_t)written : -1;

	while (keep > 0 && p[keep - 1] != '\n')
		keep--;
	/* best effort: when even this fails, the error below still stops us */
	if (keep < written && start >= 0 &&
	    ftruncate(o->fd, start + (off_t)keep) != 0)
		errno = e;
	errno = e;
}

int
out_flush(struct out *o)
{
	size_t off = 0;

	while (off < o->q.len) {
		size_t end = chunk_end(o, off), n;

		n = write_span(o, off, end);
		if (off + n < end) {
			if (o->is_file)
				cut_back(o, off, n);
			return -1;
		}
		off = end;
	}
	o->q.len = 0;
	/* a burst (a large probe line) may have grown the queue: give it back */
	buf_shrink(&o->q, OUT_INITIAL);
	return 0;
}
