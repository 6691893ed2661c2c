/*
 * test_sandbox.c - the receiver's seccomp filter, installed for real in a
 * forked child: the calls the receiver makes still work; open, socket,
 * execve, a call that takes a path, a write to any fd but the channel,
 * an madvise malloc never makes and the number libseccomp gives a listed
 * name this architecture lacks kill the child with SIGSYS.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <seccomp.h>

#include "rxargs.h"
#include "sandbox.h"
#include "t.h"

enum forbidden { NOTHING, OPEN, SOCKET, EXECVE, STAT_PATH, WRITE_OTHER,
	MADVISE_OTHER, MISSING_NAME };

/* libseccomp's pseudo number for time, which the allowlist names and
 * aarch64 lacks; where time exists, one for a call of another
 * architecture's only. */
#define MISSING_CALL (SCMP_SYS(time) < 0 ? SCMP_SYS(time) : \
	SCMP_SYS(riscv_flush_icache))

/* The child's fate: its wait status. */
static int
in_sandbox(enum forbidden what)
{
	int status = 0, p[2];
	pid_t pid;

	if (pipe(p) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		struct timespec ts;
		char c = 'x', *big;
		char *const argv[] = { "/bin/true", NULL };

		struct stat st;

		/* the pipe's write end where the channel is */
		if (dup2(p[1], RX_CHAN_FD) != RX_CHAN_FD || sandbox_filter() != 0)
			_exit(2);
		/* what the receiver's loop does */
		if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0 ||
		    write(RX_CHAN_FD, &c, 1) != 1 || poll(&pf, 1, 0) != 1 ||
		    read(p[0], &c, 1) != 1)
			_exit(3);
		big = malloc(1 << 20);          /* mmap for a large body */
		if (big == NULL)
			_exit(4);
		big[0] = 1;
		if (what != MADVISE_OTHER)
			free(big);
		if (fcntl(p[0], F_DUPFD_CLOEXEC, 3) < 0)
			_exit(5);
		if (what == OPEN)
			open("/etc/hostname", O_RDONLY);
		else if (what == SOCKET)
			socket(AF_UNIX, SOCK_STREAM, 0);
		else if (what == EXECVE)
			execve(argv[0], argv, NULL);
		else if (what == STAT_PATH)
			stat("/etc/shadow", &st);
		else if (what == WRITE_OTHER)
			(void)!write(p[0], &c, 1);     /* any fd but 4 */
		else if (what == MADVISE_OTHER)
			madvise(big, 4096, MADV_WILLNEED);
		else if (what == MISSING_NAME)
			syscall(MISSING_CALL);
		_exit(0);       /* no atexit handlers: a sanitizer's need more */
	}
	close(p[0]);
	close(p[1]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static void
filter_allows_the_loop(void)
{
	int st = in_sandbox(NOTHING);

	T_ASSERT(WIFEXITED(st));
	T_EQ_INT(WEXITSTATUS(st), 0);
}

static void
filter_kills_open_socket_execve(void)
{
	int st;

	st = in_sandbox(OPEN);
	T_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = in_sandbox(SOCKET);
	T_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = in_sandbox(EXECVE);
	T_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
}

static void
filter_kills_paths_other_writes_madvise(void)
{
	int st;

	st = in_sandbox(STAT_PATH);
	T_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = in_sandbox(WRITE_OTHER);
	T_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = in_sandbox(MADVISE_OTHER);
	T_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
}

static void
filter_skips_names_the_arch_lacks(void)
{
	int st;

	/* a pseudo number, never a call of this architecture */
	T_ASSERT(MISSING_CALL < 0);
	st = in_sandbox(MISSING_NAME);
	T_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
}

void
sandbox_tests(void)
{
	RUN(filter_allows_the_loop);
	RUN(filter_kills_open_socket_execve);
	RUN(filter_kills_paths_other_writes_madvise);
	RUN(filter_skips_names_the_arch_lacks);
}
