/*
 * sig.h - signals as an fd in the poll set. TERM, INT, USR1, USR2 and HUP
 * are blocked and read from a signalfd (a flag set by a handler can be
 * missed just before poll()); SIGPIPE is ignored so EPIPE reaches write().
 */
#ifndef SIG_H
#define SIG_H

/* Returns the signalfd, or -1 with errno. */
int sig_setup(void);
/* Next pending signal number, or 0 when none. */
int sig_read(int fd);

#endif
