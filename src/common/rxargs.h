/*
 * rxargs.h - what the monitor tells the receiver program: the intake's
 * limits and the confinement to apply, as key=value words on its command
 * line (visible in ps, nothing else to parse). The monitor builds them,
 * the receiver parses them strictly: one table of words for both sides.
 */
#ifndef RXARGS_H
#define RXARGS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "log.h"
#include "wire.h"

#define CONN_MAX_PEER_UIDS 16
#define CONN_MAX 64             /* --max-connections ceiling */
#define INTAKE_READ_CHUNK ((size_t)64 * 1024)  /* one read() from a guest */

/* What the intake enforces (from the daemon's options). */
struct intake_config {
	size_t max_frame;
	uint64_t frame_timeout_ms;
	unsigned max_connections;
	uid_t peer_uids[CONN_MAX_PEER_UIDS];
	size_t npeer_uids;              /* 0: any uid */
	uint64_t rate_limit;            /* guest events per second, 0: off */
	uint64_t rate_burst;
	struct wire_sources sources;
};

/* 1 when uid may connect under cfg's --peer-uid list. */
int intake_peer_admitted(const struct intake_config *cfg, uid_t uid);

/* The receiver program's settings. */
struct rx_settings {
	struct intake_config intake;
	uint64_t coalesce_ms;
	int sandbox;                    /* 1: rlimits and seccomp filter */
	int switch_user;                /* 1: started as root, become uid/gid */
	uid_t uid;
	gid_t gid;
	pid_t monitor;                  /* our parent; gone: we exit */
	enum log_level log_level;
};

/* The program's fds, arranged by the monitor before exec: 0-2 /dev/null. */
#define RX_LISTEN_FD 3
#define RX_CHAN_FD 4
#define RX_FIRST_FREE_FD 5

/* The receiver's RLIMIT_NOFILE for max_connections: its fds, the
 * connections, the intake's spare and the one being refused, and the fds
 * of opened records on their way to the monitor (report.h). */
#define RX_NOFILE(max_connections) \
	(RX_FIRST_FREE_FD + (max_connections) + 3 + 2 * CONN_MAX + 1)

#define RXARGS_MAX 64                   /* words, argv[0] and NULL included */
#define RXARGS_TEXT 4096                /* bytes of all words */

/*
 * The receiver's argv: prog, then the words of s, then NULL, the words'
 * text in text[RXARGS_TEXT]. Returns the number of words (argc).
 */
int rxargs_build(const struct rx_settings *s, const char *prog,
    char text[RXARGS_TEXT], char *argv[RXARGS_MAX]);

/* Parse argv[1..argc) into s (every word known, every value in range,
 * nothing repeated but source=). 0, or -1 with err naming the word. */
int rxargs_parse(int argc, char *const argv[], struct rx_settings *s,
    char *err, size_t errlen);

#endif
