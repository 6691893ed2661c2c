/*
 * sandbox.c - the receiver's confinement (see sandbox.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>
#include <seccomp.h>

#include "channel.h"
#include "conn.h"
#include "report.h"
#include "sandbox.h"

/* AddressSanitizer's runtime: its quarantine holds freed memory (no
 * RLIMIT_DATA fits it) and it advises on the shadow it maps. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* Where the empty root is mounted before chroot: a directory every Linux
 * has, shadowed only inside our own mount namespace. */
#define EMPTY_ROOT_AT "/proc"

#define STEP(cond, name) do { \
	if (!(cond)) { *what = (name); return -1; } \
} while (0)

static int
empty_root(const char **what)
{
	STEP(unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS)");
	/* nothing we mount may propagate back to the host */
	STEP(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0,
	    "making mounts private");
	STEP(mount("cellos-empty", EMPTY_ROOT_AT, "tmpfs", MS_RDONLY |
	    MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,nr_inodes=2,mode=0555")
	    == 0, "mounting the empty root");
	STEP(chdir(EMPTY_ROOT_AT) == 0 && chroot(".") == 0 && chdir("/") == 0,
	    "chroot to the empty root");
	return 0;
}

static int
no_capabilities(const char **what)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	STEP(syscall(SYS_capset, &h, d) == 0, "clearing capabilities");
	STEP(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == 0,
	    "clearing ambient capabilities");
	return 0;
}

int
sandbox_drop_privileges(uid_t uid, gid_t gid, pid_t monitor,
    const char **what)
{
	int cap;

	if (empty_root(what) != 0)
		return -1;
	/* the bounding set needs CAP_SETPCAP: empty it while we are root */
	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		STEP(prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0,
		    "emptying the capability bounding set");
	STEP(setgroups(0, NULL) == 0, "dropping supplementary groups");
	STEP(setresgid(gid, gid, gid) == 0, "setresgid");
	STEP(setresuid(uid, uid, uid) == 0, "setresuid");
	/* and no way back */
	STEP(setuid(0) != 0 && getuid() == uid && geteuid() == uid &&
	    getegid() == gid, "checking the user switch");
	/* the switch cleared the parent-death signal: set it again, then
	 * make sure the monitor did not die in between */
	STEP(prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == 0 &&
	    getppid() == monitor, "dying with the monitor");
	return no_capabilities(what);
}

int
sandbox_limits(unsigned long nofile, uint64_t data)
{
	struct rlimit zero = { 0, 0 }, files = { nofile, nofile };

	if (setrlimit(RLIMIT_NPROC, &zero) != 0 ||
	    setrlimit(RLIMIT_FSIZE, &zero) != 0 ||
	    setrlimit(RLIMIT_CORE, &zero) != 0 ||
	    setrlimit(RLIMIT_NOFILE, &files) != 0)
		return -1;
	if (data != 0) {
		struct rlimit d = { data, data };

		if (setrlimit(RLIMIT_DATA, &d) != 0)
			return -1;
	}
	return 0;
}

/* Calls allowed whatever their arguments: none takes a path, none writes.
 * The list names the calls of x86_64 and aarch64 both: poll and time
 * exist on x86_64 only (aarch64's glibc polls with ppoll and reads the
 * clock through the vDSO or clock_gettime); rule() skips what the
 * architecture built for lacks. */
static const int plain[] = {
	SCMP_SYS(read), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(fstat),
	SCMP_SYS(getpid), SCMP_SYS(getppid), SCMP_SYS(rt_sigreturn),
	/* its own signal stack only; sanitizer runtimes touch it at exit */
	SCMP_SYS(sigaltstack),
	SCMP_SYS(restart_syscall), SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* fcntl commands allowed: the spare fd and a record's fd, flag reads. */
static const int fcntl_cmds[] = { F_DUPFD_CLOEXEC, F_GETFL, F_GETFD };

/* madvise: what glibc's malloc gives back memory with (and, in sanitizer
 * builds, what the sanitizer runtime marks its shadow with). */
static const int advice[] = { MADV_DONTNEED, MADV_FREE,
#ifdef UNDER_ASAN
	MADV_NOHUGEPAGE, MADV_DONTDUMP,
#endif
};

/* Allow call with n (0-2) argument comparisons. A name this architecture
 * lacks is libseccomp's negative pseudo number (SCMP_SYS(poll) on
 * aarch64): nothing to allow, and not an error. It is skipped here rather
 * than left to libseccomp, whose answer depends on the call and the
 * filter's architectures (2.5.4: 0 and no rule in the program from
 * seccomp_rule_add on the native one, -EDOM from seccomp_rule_add_exact,
 * -EFAULT for another architecture). */
static int
rule(scmp_filter_ctx ctx, int call, unsigned n, struct scmp_arg_cmp a,
    struct scmp_arg_cmp b)
{
	if (call < 0)
		return 0;
	return n == 0 ? seccomp_rule_add(ctx, SCMP_ACT_ALLOW, call, 0) :
	    n == 1 ? seccomp_rule_add(ctx, SCMP_ACT_ALLOW, call, 1, a) :
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, call, 2, a, b);
}

int
sandbox_filter(void)
{
	const struct scmp_arg_cmp none = SCMP_A0(SCMP_CMP_EQ, 0, 0);
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
		rc = rule(ctx, plain[i], 0, none, none);
	/* bytes leave by the channel only: never a guest's socket, stdio or
	 * anything else a compromised receiver might hold */
	if (rc == 0)
		rc = rule(ctx, SCMP_SYS(write), 1,
		    SCMP_A0(SCMP_CMP_EQ, RX_CHAN_FD, 0), none);
	if (rc == 0)
		rc = rule(ctx, SCMP_SYS(sendmsg), 1,
		    SCMP_A0(SCMP_CMP_EQ, RX_CHAN_FD, 0), none);
	if (rc == 0)
		rc = rule(ctx, SCMP_SYS(accept4), 1,
		    SCMP_A0(SCMP_CMP_EQ, RX_LISTEN_FD, 0), none);
	/* admission by --peer-uid: the peer's credentials, nothing else */
	if (rc == 0)
		rc = rule(ctx, SCMP_SYS(getsockopt), 2,
		    SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET, 0),
		    SCMP_A2(SCMP_CMP_EQ, SO_PEERCRED, 0));
	/* fd 4 stays the channel for life: it can never be closed, so no
	 * other socket can be given its number (and its writes) */
	if (rc == 0)
		rc = rule(ctx, SCMP_SYS(close), 1,
		    SCMP_A0(SCMP_CMP_NE, RX_CHAN_FD, 0), none);
	/* memory for reassembly: never executable, and only private
	 * mappings that RLIMIT_DATA counts (not shared, not grows-down) */
	if (rc == 0)
		rc = rule(ctx, SCMP_SYS(mmap), 2,
		    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0),
		    SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_SHARED | MAP_GROWSDOWN, 0));
	if (rc == 0)
		rc = rule(ctx, SCMP_SYS(mprotect), 1,
		    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0), none);
	for (i = 0; i < sizeof(advice) / sizeof(advice[0]) && rc == 0; i++)
		rc = rule(ctx, SCMP_SYS(madvise), 1,
		    SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)advice[i], 0), none);
	/* FIONREAD only: how much a socket holds, nothing else */
	if (rc == 0)
		rc = rule(ctx, SCMP_SYS(ioctl), 1,
		    SCMP_A1(SCMP_CMP_EQ, FIONREAD, 0), none);
	for (i = 0; i < sizeof(fcntl_cmds) / sizeof(fcntl_cmds[0]) && rc == 0; i++)
		rc = rule(ctx, SCMP_SYS(fcntl), 1,
		    SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)fcntl_cmds[i], 0), none);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc != 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

/* The process's data size now (VmData, what RLIMIT_DATA counts), in
 * bytes; 0 when it cannot be read. Read before the root goes away. */
static uint64_t
data_now(void)
{
	char buf[4096];
	const char *p;
	char *end;
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	unsigned long long kb;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strstr(buf, "\nVmData:");
	if (p == NULL)
		return 0;
	kb = strtoull(p + 8, &end, 10);
	if (end == p + 8)
		return 0;
	return (uint64_t)kb * 1024;
}

/* Room for what the receiver allocates: every connection's largest frame,
 * the read buffer, the batch of records, and malloc's own slack. */
#define DATA_FIXED ((uint64_t)8 << 20)

int
sandbox_enter(const struct rx_settings *s, const char **what)
{
	int flags = 0;
	uint64_t data = 0;

	if (s->sandbox) {
		data = data_now();
#ifdef UNDER_ASAN
		data = 0;
#endif
		if (data)
			data += DATA_FIXED + (uint64_t)s->intake.max_connections *
			    (s->intake.max_frame + WIRE_LEN_BYTES) * 2;
	}
	if (s->switch_user) {
		if (sandbox_drop_privileges(s->uid, s->gid, s->monitor, what) != 0)
			return -1;
		flags |= CHAN_CONF_USER | CHAN_CONF_ROOT | CHAN_CONF_NOCAPS;
	}
	if (!s->sandbox)
		return flags;
	if (sandbox_limits(RX_NOFILE(s->intake.max_connections), data) != 0) {
		*what = "setting resource limits";
		return -1;
	}
	flags |= CHAN_CONF_LIMITS;
	if (sandbox_filter() != 0) {
		*what = "loading the seccomp filter";
		return -1;
	}
	return flags | CHAN_CONF_SECCOMP;
}
