/*
 * ready.h - readiness announcements, after the socket is bound and the
 * started event is on stdout: a newline on --ready-fd (s6 convention), then
 * READY=1 to $NOTIFY_SOCKET when set (a plain datagram, no libsystemd).
 */
#ifndef READY_H
#define READY_H

/* Write "\n" to fd and close it; -1 (no-op) when fd < 0. 0 or -1. */
int ready_fd_notify(int fd);
/* Send READY=1 to $NOTIFY_SOCKET if set. 0 when sent or unset, -1 on error. */
int ready_sd_notify(void);

#endif
