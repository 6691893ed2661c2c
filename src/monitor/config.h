/*
 * config.h - the daemon's effective settings, filled by option parsing in
 * cmd/cellos-telemetryd.c and read (never changed) by the loop. Each module
 * gets only its own part: the intake its limits, the probes their paths.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdint.h>
#include <sys/types.h>

#include "keys.h"
#include "log.h"
#include "probe.h"
#include "rxargs.h"

#include "version.h"

struct config {
	const char *cell_id;
	const char *run_id;
	const char *uds_base;           /* NULL with --listen-fd */
	const char *spec_hash;          /* NULL: null in events */
	unsigned port;
	mode_t socket_mode;
	int socket_owner_set;           /* --socket-owner given */
	uid_t socket_uid;
	gid_t socket_gid;               /* (gid_t)-1: unchanged */
	int listen_fd;                  /* -1: bind uds_base */
	int ready_fd;                   /* -1: none */
	uint64_t silence_timeout_ms;    /* 0: off */
	uint64_t checkpoint_ms;         /* 0: off */
	struct intake_config intake;    /* connections and frames */
	struct key key;                 /* alg ALG_OFF: unsigned */
	const char *key_file;           /* re-read on SIGHUP; NULL: from env */
	int kid_fixed;                  /* --key-id given: a new key, same kid */
	int chain;                      /* --sign-mode chain (SPEC section 12) */
	uint64_t seal_every;            /* lines */
	uint64_t seal_interval_ms;
	uint64_t coalesce_ms;           /* receiver: hold busy guests this long */
	enum log_level log_level;
	int sandbox;                    /* receiver confined (--sandbox seccomp) */
	const char *receiver_program;   /* --receiver-program; NULL: found */
	const char *receiver_user;      /* --receiver-user */
	char receiver_path[4096];       /* the program, found before binding */
	int switch_user;                /* root: the receiver becomes uid/gid */
	uid_t receiver_uid;
	gid_t receiver_gid;
	struct probe_config probes;     /* host probes (SPEC section 8) */
};

#endif
