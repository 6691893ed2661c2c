/*
 * receiver.c - the receiver process, seen from the monitor (see
 * receiver.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "receiver.h"
#include "util.h"

#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/local/lib/cellos-telemetryd"
#endif

/* An executable regular file at path. */
static int
is_program(const char *path)
{
	struct stat st;

	errno = 0;
	if (stat(path, &st) != 0)
		return 0;
	if (!S_ISREG(st.st_mode) || access(path, X_OK) != 0) {
		errno = 0;
		return 0;
	}
	return 1;
}

void
receiver_find(const char *override, char *path, size_t cap)
{
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (override != NULL) {
		snprintf(path, cap, "%s", override);
		if (!is_program(path))
			die(EXIT_CONFIG, "--receiver-program %s: %s; give the "
			    "path of an executable cellos-telemetryd-receiver",
			    path, errno ? strerror(errno) : "not an executable file");
		return;
	}
	/* the build tree: beside our own executable, never through $PATH */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash != NULL) {
			*slash = '\0';
			snprintf(path, cap, "%s/" RECEIVER_PROGRAM, self);
			if (is_program(path))
				return;
		}
	}
	snprintf(path, cap, LIBEXECDIR "/" RECEIVER_PROGRAM);
	if (is_program(path))
		return;
	die(EXIT_CONFIG, "the receiver program %s is missing or not executable "
	    "(nor is it beside %s): reinstall cellos-telemetryd, or pass "
	    "--receiver-program PATH", path, n > 0 ? self : "this program");
}

/* The child, between fork and exec: only our fds, default signals. */
static void __attribute__((noreturn))
exec_child(const char *path, char *const argv[], int listen_fd, int chan_fd)
{
	/* an empty environment but for what whoever started us chose for
	 * debugging (a preload, sanitizer settings): nothing of ours */
	static const char *const keep[] = { "LD_PRELOAD", "ASAN_OPTIONS",
		"UBSAN_OPTIONS", "LSAN_OPTIONS" };
	char *envp[5];
	size_t i, ne = 0;
	sigset_t none;
	int null, l, c;

	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		char *v = getenv(keep[i]);

		if (v != NULL)
			envp[ne++] = v - strlen(keep[i]) - 1;
	}
	envp[ne] = NULL;
	/* die with the monitor, even before the program sets it again */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	l = fcntl(listen_fd, F_DUPFD_CLOEXEC, 10);
	c = fcntl(chan_fd, F_DUPFD_CLOEXEC, 10);
	if (null < 0 || l < 0 || c < 0 || dup2(null, 0) < 0 ||
	    dup2(null, 1) < 0 || dup2(null, 2) < 0 ||
	    dup2(l, RX_LISTEN_FD) < 0 || dup2(c, RX_CHAN_FD) < 0)
		_exit(127);
	/* everything else is closed */
	for (i = RX_FIRST_FREE_FD; i < 10; i++)
		close((int)i);
	if (close_range(10, ~0U, CLOSE_RANGE_CLOEXEC) != 0 && errno != EINVAL)
		_exit(127);
	execve(path, argv, envp);
	_exit(127);
}

int
receiver_start(struct receiver *rx, const char *path,
    const struct rx_settings *s, int listen_fd)
{
	char text[RXARGS_TEXT], *argv[RXARGS_MAX];
	int sv[2], e;

	memset(rx, 0, sizeof(*rx));
	rx->pidfd = rx->chan = -1;
	rxargs_build(s, path, text, argv);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	rx->pid = fork();
	if (rx->pid < 0) {
		e = errno;
		close(sv[0]);
		close(sv[1]);
		errno = e;
		return -1;
	}
	if (rx->pid == 0)
		exec_child(path, argv, listen_fd, sv[1]);
	close(sv[1]);
	rx->chan = sv[0];
	fcntl(rx->chan, F_SETFL, O_NONBLOCK);
	/* its exit as an fd in the poll set: never a blocking wait (where
	 * there is no pidfd_open, as under valgrind, SIGCHLD on the signalfd
	 * says the same) */
	rx->pidfd = (int)syscall(SYS_pidfd_open, rx->pid, 0);
	if (rx->pidfd < 0 && errno != ENOSYS) {
		e = errno;
		receiver_kill(rx, 0);
		errno = e;
		return -1;
	}
	return 0;
}

int
receiver_drain(const struct receiver *rx)
{
	char cmd = 'D';

	return write(rx->chan, &cmd, 1) == 1 ? 0 : -1;
}

int
receiver_reap(struct receiver *rx)
{
	int status;
	pid_t r;

	if (rx->reaped || rx->pid <= 0)
		return rx->reaped;
	r = waitpid(rx->pid, &status, WNOHANG);
	if (r == rx->pid) {
		rx->reaped = 1;
		rx->status = status;
	}
	return rx->reaped;
}

void
receiver_kill(struct receiver *rx, int wait_ms)
{
	struct pollfd p = { .fd = rx->pidfd, .events = POLLIN };
	int waited;

	if (rx->pid <= 0 || receiver_reap(rx))
		return;
	kill(rx->pid, SIGKILL);
	/* the kill is certain; the wait is bounded all the same */
	if (rx->pidfd >= 0)
		(void)poll(&p, 1, wait_ms);
	for (waited = 0; !receiver_reap(rx) && waited < wait_ms; waited += 10)
		(void)poll(NULL, 0, 10);
}

void
receiver_close(struct receiver *rx)
{
	if (rx->chan >= 0)
		close(rx->chan);
	if (rx->pidfd >= 0)
		close(rx->pidfd);
	rx->chan = rx->pidfd = -1;
}
