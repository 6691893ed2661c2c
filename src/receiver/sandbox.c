/*
 * sandbox.c - the receiver's confinement (see include/sandbox.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <seccomp.h>

#include "sandbox.h"

int
sandbox_limits(unsigned long nofile)
{
	struct rlimit zero = { 0, 0 }, files = { nofile, nofile };

	if (setrlimit(RLIMIT_NPROC, &zero) != 0 ||
	    setrlimit(RLIMIT_FSIZE, &zero) != 0 ||
	    setrlimit(RLIMIT_CORE, &zero) != 0 ||
	    setrlimit(RLIMIT_NOFILE, &files) != 0)
		return -1;
	return 0;
}

/* Calls allowed whatever their arguments. */
static const int plain[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(close),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(accept4), SCMP_SYS(accept),
	SCMP_SYS(getsockopt), SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
	SCMP_SYS(time), SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(getpid), SCMP_SYS(getppid), SCMP_SYS(rt_sigreturn),
	/* its own signal stack only; sanitizer runtimes touch it at exit */
	SCMP_SYS(sigaltstack),
	SCMP_SYS(restart_syscall), SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* fcntl commands allowed. */
static const int fcntl_cmds[] = { F_DUPFD_CLOEXEC, F_GETFL, F_GETFD };

int
sandbox_filter(void)
{
	scmp_filter_ctx ctx;
	size_t i;
	int rc = 0;

	/* the filter cannot be undone, and exec could not regain privileges */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < sizeof(plain) / sizeof(plain[0]) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, plain[i], 0);
	/* memory for reassembly, never executable */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
		    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
		    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* FIONREAD only: how much a socket holds, nothing else */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
		    SCMP_A1(SCMP_CMP_EQ, FIONREAD, 0));
	/* the spare fd (F_DUPFD_CLOEXEC) and flag reads */
	for (i = 0; i < sizeof(fcntl_cmds) / sizeof(fcntl_cmds[0]) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fcntl), 1,
		    SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)fcntl_cmds[i], 0));
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}
