/*
 * sandbox.h - the receiver's confinement (SPEC section 11): resource
 * limits and a seccomp allowlist built with libseccomp, default action:
 * kill the process.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

/* RLIMIT_NPROC 0 (no fork), RLIMIT_FSIZE 0 (no file grows), RLIMIT_NOFILE
 * nofile (fds numbered below it, and no more), RLIMIT_CORE 0. 0 or -1. */
int sandbox_limits(unsigned long nofile);

/*
 * PR_SET_NO_NEW_PRIVS, then a filter allowing only what the receiver's
 * loop calls: read, write, poll, accept4, getsockopt, close, the clock,
 * memory (no executable mappings), ioctl FIONREAD, a few fcntl commands,
 * exit. No open, exec, socket, connect, bind, ptrace or kill. 0, or -1
 * with errno when the filter could not be installed.
 */
int sandbox_filter(void);

#endif
