/*
 * config.h - the daemon's effective settings, filled by option parsing in
 * cmd/cellos-telemetryd.c and read (never changed) by the loop.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdint.h>
#include <sys/types.h>

#include "keys.h"
#include "log.h"
#include "wire.h"

#define VERSION "0.1.0"
#define CONFIG_MAX_PEER_UIDS 16

struct config {
	const char *cell_id;
	const char *run_id;
	const char *uds_base;           /* NULL with --listen-fd */
	const char *spec_hash;          /* NULL: null in events */
	unsigned port;
	size_t max_frame;
	uint64_t frame_timeout_ms;
	uint64_t silence_timeout_ms;    /* 0: off */
	uint64_t checkpoint_ms;         /* 0: off */
	uint64_t probe_interval_ms;
	unsigned max_connections;
	uid_t peer_uids[CONFIG_MAX_PEER_UIDS];
	size_t npeer_uids;              /* 0: any uid */
	mode_t socket_mode;
	int listen_fd;                  /* -1: bind uds_base */
	int ready_fd;                   /* -1: none */
	uint64_t rate_limit;            /* 0: unlimited */
	uint64_t rate_burst;
	struct wire_sources sources;
	struct key key;                 /* alg ALG_OFF: unsigned */
	enum log_level log_level;

	/* host probes (SPEC section 8) */
	const char *cgroup_dir;
	const char *fc_metrics;
	const char *tap_ifname;
	const char *nft_table;
	const char *sysfs_root;
	const char *nft_bin;
};

/* Run the daemon until a signal stops it. Returns the exit code. */
int loop_run(const struct config *cfg);

#endif
