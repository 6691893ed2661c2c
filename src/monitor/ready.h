/*
 * ready.h - readiness announcements, after the socket is bound and the
 * started event is on stdout: a newline on --ready-fd (s6 convention), then
 * READY=1 to $NOTIFY_SOCKET when set (a plain datagram, no libsystemd).
 */
#ifndef READY_H
#define READY_H

/* Write "\n" to fd and close it; -1 (no-op) when fd < 0. 0 or -1. */
int ready_fd_notify(int fd);
/* Send state (READY=1, STOPPING=1) to $NOTIFY_SOCKET if set. 0 when sent
 * or unset, -1 on error. */
int ready_sd_notify(const char *state);

/* Socket activation: $LISTEN_PID names us and $LISTEN_FDS is 1 -> 1 and
 * *fd = 3; not for us (or unset) -> 0; for us but not one socket -> -1.
 * The variables are removed either way when they were ours. */
int ready_listen_fd(int *fd);

/* 1 when $JOURNAL_STREAM names our stderr (device:inode): journald reads
 * it, and understands "<N>" priority prefixes. */
int ready_journal_stream(void);

#endif
