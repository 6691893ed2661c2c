/*
 * probe.h - host probes (SPEC section 8): readings from places only the host
 * controls, emitted as cellos.events.host.probe.v1.<name> events so a
 * projector can compare them with what the guest declares.
 *
 * The loop owns the schedule: it polls p->fd for p->events when fd >= 0,
 * calls ops->due at p->next_ns (0: no deadline) and ops->ready when the fd is
 * ready. A probe never blocks: sysfs and cgroupfs reads are in-kernel, the
 * FIFO is non-blocking, nft runs as a child whose output is polled.
 */
#ifndef PROBE_H
#define PROBE_H

#include <stdint.h>

#include <jansson.h>


#define PROBE_MAX 4

/* What the probes are told: their paths and pace, nothing else of the
 * daemon's configuration (never the key). */
struct probe_config {
	const char *cgroup_dir;         /* --cgroup */
	const char *fc_metrics;         /* --fc-metrics */
	const char *tap_ifname;         /* --tap */
	const char *nft_table;          /* --nft-table */
	const char *sysfs_root;         /* --sysfs-root */
	const char *nft_bin;            /* --nft-bin */
	uint64_t interval_ms;           /* --probe-interval */
};

struct probe;

struct probe_ops {
	const char *name;       /* type suffix, "cgroup" */
	const char *source;     /* probe_source, "host.cgroup" */
	/* 1 when the configuration asks for this probe. */
	int (*wanted)(const struct probe_config *c);
	/* Set up state and fds; NULL when there is nothing to set up. */
	void (*open)(struct probe *p);
	/* The deadline at p->next_ns is due. */
	void (*due)(struct probe *p, uint64_t now);
	/* p->fd reported revents; NULL for a probe that never sets an fd. */
	void (*ready)(struct probe *p, short revents, uint64_t now);
	/* Release everything (children are killed and reaped); NULL when the
	 * probe holds nothing between readings. */
	void (*close)(struct probe *p);
};

extern const struct probe_ops probe_cgroup_ops, probe_fc_ops, probe_tap_ops,
    probe_nft_ops;

/* Where readings go: the loop turns them into events. inputs and output
 * (NULL for a failure) are consumed. */
typedef void (*probe_sink)(void *ctx, const struct probe *p, json_t *inputs,
    json_t *output, const char *error);

struct probe {
	const struct probe_ops *ops;
	const struct probe_config *cfg;
	int fd;                 /* -1: nothing to poll */
	short events;
	uint64_t next_ns;       /* monotonic; 0: none */
	int failing;            /* a failure was reported, no recovery yet */
	int every_error;        /* report each failure, not only the first */
	void *state;
	probe_sink sink;
	void *sink_ctx;
};

/*
 * Open the probes the configuration asks for (before readiness: the FIFO
 * must exist for Firecracker to open). Returns how many were set up in
 * probes[]; an unusable path is not fatal, it is reported at the first
 * reading. Each interval-paced probe is due right after readiness.
 */
int probe_open_all(const struct probe_config *cfg, struct probe *probes,
    probe_sink sink, void *ctx, uint64_t now);

/* Close every probe (kill and reap an nft child, close the FIFO). */
void probe_close_all(struct probe *probes, int n);

/* The next interval-paced reading after from (monotonic ns). */
uint64_t probe_next(const struct probe *p, uint64_t from);

/*
 * Report a reading through the sink with the failure rule of SPEC
 * section 8: a failure is reported once when it starts (output null,
 * error text), a success always, marked "recovered" after a failure.
 */
void probe_report(struct probe *p, json_t *inputs, json_t *output,
    const char *error);

/* Parse "key value" lines (cgroup v2 flat keyed files) into an object;
 * values above 2^53-1 become strings. NULL when text has no valid line. */
json_t *probe_parse_kv(const char *text);

/* Read a small pseudo-file into buf (NUL-terminated). 0, or -1 with errno. */
int probe_read_file(const char *path, char *buf, size_t cap);

#endif
