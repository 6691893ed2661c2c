/*
 * faultshim.c - an LD_PRELOAD fault injector for the fault tests, built by
 * them (never part of the programs):
 *   FAULTSHIM_MALLOC_AT=N   the Nth malloc/calloc/realloc returns NULL
 *   FAULTSHIM_SOCKREAD_AT=N the Nth read() of a socket other than fd 4
 *                           (the channel) fails, EIO: in the receiver
 *                           program, the only one that reads guests
 *   FAULTSHIM_COUNT_FD=FD   at exit, write the number of allocations to FD
 *   FAULTSHIM_LISTEN_DELAY_MS=N  listen() waits N ms first: the window
 *                           between bind and listen, held open
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);

static long alloc_count, alloc_fail_at = -2;
static long sockread_count, sockread_fail_at = -2;

static long
env_num(const char *name)
{
	const char *s = getenv(name);

	return s ? atol(s) : -1;
}

static int
alloc_fails(void)
{
	if (alloc_fail_at == -2)
		alloc_fail_at = env_num("FAULTSHIM_MALLOC_AT");
	return ++alloc_count == alloc_fail_at;
}

void *
malloc(size_t n)
{
	if (alloc_fails()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	if (alloc_fails()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	if (alloc_fails()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, n);
}


ssize_t
read(int fd, void *buf, size_t n)
{
	struct stat st;

	if (sockread_fail_at == -2)
		sockread_fail_at = env_num("FAULTSHIM_SOCKREAD_AT");
	/* fstat(2) itself: glibc's fstat() is newfstatat with a path,
	 * which the receiver's filter does not allow */
	if (sockread_fail_at > 0 && syscall(SYS_fstat, fd, &st) == 0 &&
	    S_ISSOCK(st.st_mode) && fd != 4 &&      /* 4: the monitor's channel */
	    ++sockread_count == sockread_fail_at) {
		errno = EIO;
		return -1;
	}
	return syscall(SYS_read, fd, buf, n);
}

int
listen(int fd, int backlog)
{
	long ms = env_num("FAULTSHIM_LISTEN_DELAY_MS");

	if (ms > 0)
		usleep((useconds_t)ms * 1000);
	return (int)syscall(SYS_listen, fd, backlog);
}

__attribute__((destructor)) static void
report(void)
{
	long fd = env_num("FAULTSHIM_COUNT_FD");
	char line[32];
	int len;

	if (fd < 0)
		return;
	len = snprintf(line, sizeof(line), "%ld\n", alloc_count);
	if (write((int)fd, line, (size_t)len) < 0)
		return;
}
