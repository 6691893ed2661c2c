/*
 * sandbox.h - the receiver's confinement (SPEC section 11), applied after
 * exec and before the first guest byte: an empty read-only root, another
 * user, no capabilities, resource limits, and a seccomp allowlist built
 * with libseccomp whose default action kills the process.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stdint.h>
#include <sys/types.h>

#include "rxargs.h"

/*
 * Everything s asks for, in order: privileges (when s->switch_user), then
 * limits and filter (when s->sandbox). Returns the CHAN_CONF_* flags of
 * what is in place, or -1 with errno and *what naming the step that
 * failed: a step that was asked for and failed is fatal, never skipped.
 */
int sandbox_enter(const struct rx_settings *s, const char **what);

/*
 * Started as root: a private mount namespace whose root is an empty
 * read-only tmpfs (mounted over /proc, which every Linux has, then
 * chroot), no supplementary groups, gid and uid, no capabilities in any
 * set, the bounding set empty, and (the switch clears it) the death
 * signal of the monitor's death set again. 0, or -1 with errno and *what
 * set.
 */
int sandbox_drop_privileges(uid_t uid, gid_t gid, pid_t monitor,
    const char **what);

/* RLIMIT_NPROC 0 (no fork), RLIMIT_FSIZE 0 (no file grows), RLIMIT_NOFILE
 * nofile (fds numbered below it, and no more), RLIMIT_CORE 0, RLIMIT_DATA
 * data bytes more than the process has now (0: unchanged). 0 or -1. */
int sandbox_limits(unsigned long nofile, uint64_t data);

/*
 * PR_SET_NO_NEW_PRIVS, then a filter allowing only what the receiver's
 * loop calls: read; write and sendmsg on the channel only, which can never
 * be closed; poll; accept4 on the listener; getsockopt SO_PEERCRED; close;
 * the clock; memory (never executable, private only, madvise with the
 * advice malloc uses); ioctl FIONREAD; a few
 * fcntl commands; exit. No call that takes a path, no open, exec,
 * socket, connect, bind, ptrace or kill. 0, or -1 with errno.
 */
int sandbox_filter(void);

#endif
