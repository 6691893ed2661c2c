/*
 * cellos-telemetryd - host side of one cell's guest telemetry channel.
 * Option parsing only; the work is in src/loop.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "config.h"
#include "event.h"
#include "keys.h"
#include "log.h"
#include "loop.h"
#include "ready.h"
#include "receiver.h"
#include "util.h"

#define COALESCE_UNSET UINT64_MAX
#define COALESCE_CHAIN_MS 25
#define COALESCE_MAX_MS 1000

static const char usage_text[] =
"usage: cellos-telemetryd --cell-id ID --run-id ID --uds-base PATH [options]\n"
"       cellos-telemetryd --cell-id ID --run-id ID --listen-fd N [options]\n"
"\n"
"Receive guest telemetry frames on <uds-base>_<port>, host-stamp them and\n"
"write one signed CloudEvent per line to stdout.\n"
"\n"
"identity:\n"
"  --cell-id ID               cell id, 1..128 of [A-Za-z0-9._:-]\n"
"  --run-id ID                run id, same alphabet\n"
"  --spec-signature-hash H    sha256:<64 lowercase hex> (default: null)\n"
"listener:\n"
"  --uds-base PATH            socket path prefix; listens on PATH_<port>\n"
"  --port N                   vsock port suffix (default 9001)\n"
"  --socket-mode MODE         octal mode of the socket (default 0600)\n"
"  --socket-owner USER[:GROUP]  give the socket to USER (names or numbers):\n"
"                             a jailed Firecracker's uid\n"
"  --listen-fd N              use an already bound, listening socket\n"
"  --max-connections N        concurrent connections, 1..64 (default 4)\n"
"  --peer-uid UID[,UID...]    admit only these SO_PEERCRED uids\n"
"  --ready-fd N               write a newline to fd N once ready\n"
"frames:\n"
"  --max-frame-bytes N        largest body, 64..65536 (default 4096)\n"
"  --frame-timeout DUR        longest a partial frame may wait (default 5s)\n"
"  --allow-probe-source NAME  accept another probe_source (repeatable)\n"
"  --rate-limit N             guest events per second, 0 = off (default 10000)\n"
"  --rate-burst N             token bucket size (default 20000)\n"
"  --coalesce DUR             while frames come closer than DUR, read at most\n"
"                             once per DUR, up to 1s (default 0; 25ms with\n"
"                             --sign-mode chain)\n"
"liveness and reporting:\n"
"  --silence-timeout DUR      agent_silenced after DUR without a frame;\n"
"                             0 = off (default 10s)\n"
"  --checkpoint-interval DUR  counters every DUR; 0 = off (default 30s)\n"
"signing:\n"
"  --sign-alg ALG             ed25519, hmac-sha256 or off   [$" KEYS_ENV_ALG "]\n"
"  --signing-key FILE         key file (base64url, mode 0600)\n"
"                             [$" KEYS_ENV_ED25519 ", $" KEYS_ENV_HMAC "]\n"
"  --key-id KID               sigkid (default: derived)     [$" KEYS_ENV_KID "]\n"
"  --sign-mode MODE           line (default: every line signed) or chain\n"
"                             (hash-chained lines, signed seals)\n"
"  --seal-every N             chain: a seal after N lines (default 256)\n"
"  --seal-interval DUR        chain: a seal DUR after the last one, over\n"
"                             unsealed lines (default 1s)\n"
"host probes:\n"
"  --cgroup DIR               read cgroup v2 memory/cpu/pids stats\n"
"  --fc-metrics PATH          Firecracker metrics file or FIFO\n"
"  --tap IFNAME               TAP link state and counters\n"
"  --nft-table NAME           nftables counters of table inet NAME\n"
"  --probe-interval DUR       pace of cgroup, tap, nftables (default 10s)\n"
"  --sysfs-root DIR           sysfs location for --tap (default /sys)\n"
"  --nft-bin PATH             nft program (default nft)\n"
"other:\n"
"  --sandbox MODE             seccomp (default) or off: confine the receiver\n"
"                             process; off is for valgrind and strace only\n"
"  --receiver-user USER       started as root, the receiver runs as USER\n"
"                             or UID:GID (default _cellos-telemetryd)\n"
"  --receiver-program PATH    the receiver program to run (for tests;\n"
"                             default: beside this program, else\n"
"                             " LIBEXECDIR ")\n"
"  --log-level LEVEL          error, warn, info or debug (default info)\n"
"  --help, --version\n"
"\n"
"Durations take ms, s or m (250ms, 10s, 2m); a bare number is seconds.\n"
"Exit: 0 ok, 64 usage, 66 key missing, 70 the receiver failed, 71 system,\n"
"73 socket path in use, 74 stdout error, 77 key permissions, 78 bad\n"
"configuration.\n";

enum {
	OPT_CELL = 256, OPT_RUN, OPT_SPEC, OPT_UDS, OPT_PORT, OPT_MODE, OPT_OWNER,
	OPT_LFD,
	OPT_MAXCONN, OPT_PEER, OPT_READY, OPT_MAXFRAME, OPT_FTIMEOUT, OPT_ALLOW,
	OPT_RATE, OPT_BURST, OPT_COALESCE, OPT_SILENCE, OPT_CHECKPOINT, OPT_ALG,
	OPT_KEY, OPT_KID, OPT_SIGNMODE, OPT_SEALEVERY, OPT_SEALINT, OPT_CGROUP,
	OPT_FC, OPT_TAP, OPT_NFT, OPT_PINTERVAL, OPT_SYSFS, OPT_NFTBIN,
	OPT_SANDBOX, OPT_RXUSER, OPT_RXPROG, OPT_LOG, OPT_HELP, OPT_VERSION,
	OPT_LAST
};

static const struct option options[] = {
	{ "cell-id", required_argument, NULL, OPT_CELL },
	{ "run-id", required_argument, NULL, OPT_RUN },
	{ "spec-signature-hash", required_argument, NULL, OPT_SPEC },
	{ "uds-base", required_argument, NULL, OPT_UDS },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "socket-mode", required_argument, NULL, OPT_MODE },
	{ "socket-owner", required_argument, NULL, OPT_OWNER },
	{ "listen-fd", required_argument, NULL, OPT_LFD },
	{ "max-connections", required_argument, NULL, OPT_MAXCONN },
	{ "peer-uid", required_argument, NULL, OPT_PEER },
	{ "ready-fd", required_argument, NULL, OPT_READY },
	{ "max-frame-bytes", required_argument, NULL, OPT_MAXFRAME },
	{ "frame-timeout", required_argument, NULL, OPT_FTIMEOUT },
	{ "allow-probe-source", required_argument, NULL, OPT_ALLOW },
	{ "rate-limit", required_argument, NULL, OPT_RATE },
	{ "rate-burst", required_argument, NULL, OPT_BURST },
	{ "coalesce", required_argument, NULL, OPT_COALESCE },
	{ "silence-timeout", required_argument, NULL, OPT_SILENCE },
	{ "checkpoint-interval", required_argument, NULL, OPT_CHECKPOINT },
	{ "sign-alg", required_argument, NULL, OPT_ALG },
	{ "signing-key", required_argument, NULL, OPT_KEY },
	{ "key-id", required_argument, NULL, OPT_KID },
	{ "sign-mode", required_argument, NULL, OPT_SIGNMODE },
	{ "seal-every", required_argument, NULL, OPT_SEALEVERY },
	{ "seal-interval", required_argument, NULL, OPT_SEALINT },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "fc-metrics", required_argument, NULL, OPT_FC },
	{ "tap", required_argument, NULL, OPT_TAP },
	{ "nft-table", required_argument, NULL, OPT_NFT },
	{ "probe-interval", required_argument, NULL, OPT_PINTERVAL },
	{ "sysfs-root", required_argument, NULL, OPT_SYSFS },
	{ "nft-bin", required_argument, NULL, OPT_NFTBIN },
	{ "sandbox", required_argument, NULL, OPT_SANDBOX },
	{ "receiver-user", required_argument, NULL, OPT_RXUSER },
	{ "receiver-program", required_argument, NULL, OPT_RXPROG },
	{ "log-level", required_argument, NULL, OPT_LOG },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

#define usage_error(...) \
	die_usage("Try 'cellos-telemetryd --help'.\n", __VA_ARGS__)

static uint64_t
num_opt(const char *name, const char *arg, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (parse_u64(arg, min, max, &v) != 0)
		usage_error("--%s %s: expected a whole number from %llu to %llu",
		    name, arg, (unsigned long long)min, (unsigned long long)max);
	return v;
}

static uint64_t
dur_opt(const char *name, const char *arg)
{
	uint64_t ms;

	if (parse_duration_ms(arg, &ms) != 0)
		usage_error("--%s %s: expected a duration such as 250ms, 10s or "
		    "2m", name, arg);
	return ms;
}

static void
parse_peer_uids(struct config *cfg, const char *arg)
{
	char tmp[512], *tok, *save = NULL;

	if (strlen(arg) >= sizeof(tmp))
		usage_error("--peer-uid %s: list too long", arg);
	snprintf(tmp, sizeof(tmp), "%s", arg);
	for (tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (cfg->intake.npeer_uids == CONN_MAX_PEER_UIDS)
			usage_error("--peer-uid %s: at most 16 uids", arg);
		cfg->intake.peer_uids[cfg->intake.npeer_uids++] =
		    (uid_t)num_opt("peer-uid", tok, 0, 0xFFFFFFFEu);
	}
	if (cfg->intake.npeer_uids == 0)
		usage_error("--peer-uid %s: expected UID[,UID...]", arg);
}

static struct config cfg;

/* Every exit path (signal, fatal stdout error, die) wipes the key. */
static void
wipe_key(void)
{
	keys_free(&cfg.key);
}

static void __attribute__((noreturn))
unknown_option(const char *arg)
{
	const char *near = util_nearest_option(arg, options);

	if (near != NULL)
		usage_error("unknown option %s; did you mean --%s?", arg, near);
	usage_error("unknown option %s", arg);
}

/* Signing options, resolved by keys_configure() against the environment. */
struct sign_opts {
	const char *alg, *key_file, *kid;
};

static void
set_defaults(struct config *c)
{
	c->port = 9001;
	c->socket_mode = 0600;
	c->listen_fd = -1;
	c->ready_fd = -1;
	c->silence_timeout_ms = 10000;
	c->checkpoint_ms = 30000;
	c->intake.max_frame = WIRE_MAX_FRAME_DEFAULT;
	c->intake.frame_timeout_ms = 5000;
	c->intake.max_connections = 4;
	c->intake.rate_limit = 10000;
	c->intake.rate_burst = 20000;
	c->log_level = LOG_INFO;
	c->sandbox = 1;
	c->receiver_user = "_cellos-telemetryd";
	c->seal_every = 256;
	c->seal_interval_ms = 1000;
	c->coalesce_ms = COALESCE_UNSET;
	c->probes.interval_ms = 10000;
	c->probes.sysfs_root = "/sys";
	c->probes.nft_bin = "nft";
}

static void
parse_socket_mode(struct config *c, const char *arg)
{
	char *end;
	unsigned long m = strtoul(arg, &end, 8);

	if (*arg == '\0' || *end != '\0' || m > 0777 || (m & 0600) != 0600)
		usage_error("--socket-mode %s: expected an octal mode with owner "
		    "read/write, such as 0600 or 0660", arg);
	c->socket_mode = (mode_t)m;
}

/* --socket-owner USER[:GROUP]: names or numbers; a user name alone
 * brings its primary group, a uid alone leaves the group as it is. */
static void
parse_socket_owner(struct config *c, const char *arg)
{
	char user[64], *group;
	uint64_t v;

	if (strlen(arg) >= sizeof(user) || arg[0] == '\0' || arg[0] == ':')
		usage_error("--socket-owner %s: expected USER[:GROUP]", arg);
	snprintf(user, sizeof(user), "%s", arg);
	group = strchr(user, ':');
	if (group != NULL)
		*group++ = '\0';
	c->socket_gid = (gid_t)-1;
	if (parse_u64(user, 0, 0xFFFFFFFEu, &v) == 0) {
		c->socket_uid = (uid_t)v;
	} else {
		struct passwd *pw = getpwnam(user);

		if (pw == NULL)
			die(EXIT_CONFIG, "--socket-owner %s: no user '%s'", arg,
			    user);
		c->socket_uid = pw->pw_uid;
		c->socket_gid = pw->pw_gid;
	}
	if (group != NULL && parse_u64(group, 0, 0xFFFFFFFEu, &v) == 0) {
		c->socket_gid = (gid_t)v;
	} else if (group != NULL) {
		struct group *gr = getgrnam(group);

		if (gr == NULL)
			die(EXIT_CONFIG, "--socket-owner %s: no group '%s'", arg,
			    group);
		c->socket_gid = gr->gr_gid;
	}
	c->socket_owner_set = 1;
}

static void
add_probe_source(struct config *c, const char *arg)
{
	struct wire_sources *s = &c->intake.sources;

	if (!wire_source_name_ok(arg))
		usage_error("--allow-probe-source %s: expected 1..64 characters "
		    "of [a-z0-9._-]", arg);
	if (s->n == WIRE_MAX_EXTRA_SOURCES)
		usage_error("--allow-probe-source %s: at most %d names", arg,
		    WIRE_MAX_EXTRA_SOURCES);
	snprintf(s->name[s->n++], sizeof(s->name[0]), "%s", arg);
}

static uint64_t
positive_dur_opt(const char *name, const char *arg)
{
	uint64_t ms = dur_opt(name, arg);

	if (ms == 0)
		usage_error("--%s %s: must be above zero", name, arg);
	return ms;
}

/* One option into c (or so). Returns 1 when the program should exit 0. */
static int
apply_option(struct config *c, struct sign_opts *so, int opt, const char *arg)
{
	switch (opt) {
	case OPT_CELL: c->cell_id = arg; break;
	case OPT_RUN: c->run_id = arg; break;
	case OPT_SPEC: c->spec_hash = arg; break;
	case OPT_UDS: c->uds_base = arg; break;
	case OPT_PORT: c->port = (unsigned)num_opt("port", arg, 1, 0xFFFFFFFFu); break;
	case OPT_MODE: parse_socket_mode(c, arg); break;
	case OPT_OWNER: parse_socket_owner(c, arg); break;
	case OPT_LFD: c->listen_fd = (int)num_opt("listen-fd", arg, 0, 65535); break;
	case OPT_MAXCONN:
		c->intake.max_connections = (unsigned)num_opt("max-connections",
		    arg, 1, CONN_MAX);
		break;
	case OPT_PEER: parse_peer_uids(c, arg); break;
	case OPT_READY: c->ready_fd = (int)num_opt("ready-fd", arg, 0, 65535); break;
	case OPT_MAXFRAME:
		c->intake.max_frame = num_opt("max-frame-bytes", arg,
		    WIRE_MAX_FRAME_MIN, WIRE_MAX_FRAME_MAX);
		break;
	case OPT_FTIMEOUT:
		c->intake.frame_timeout_ms = positive_dur_opt("frame-timeout", arg);
		break;
	case OPT_ALLOW: add_probe_source(c, arg); break;
	case OPT_RATE: c->intake.rate_limit = num_opt("rate-limit", arg, 0, 10000000); break;
	case OPT_BURST: c->intake.rate_burst = num_opt("rate-burst", arg, 1, 10000000); break;
	case OPT_COALESCE:
		c->coalesce_ms = dur_opt("coalesce", arg);
		if (c->coalesce_ms > COALESCE_MAX_MS)
			usage_error("--coalesce %s: at most 1s", arg);
		break;
	case OPT_SILENCE: c->silence_timeout_ms = dur_opt("silence-timeout", arg); break;
	case OPT_CHECKPOINT: c->checkpoint_ms = dur_opt("checkpoint-interval", arg); break;
	case OPT_ALG: so->alg = arg; break;
	case OPT_KEY: so->key_file = arg; break;
	case OPT_KID: so->kid = arg; break;
	case OPT_SIGNMODE:
		if (strcmp(arg, "line") != 0 && strcmp(arg, "chain") != 0)
			usage_error("--sign-mode %s: expected line or chain", arg);
		c->chain = strcmp(arg, "chain") == 0;
		break;
	case OPT_SEALEVERY:
		c->seal_every = num_opt("seal-every", arg, 1, 1000000);
		break;
	case OPT_SEALINT:
		c->seal_interval_ms = positive_dur_opt("seal-interval", arg);
		break;
	case OPT_CGROUP: c->probes.cgroup_dir = arg; break;
	case OPT_FC: c->probes.fc_metrics = arg; break;
	case OPT_TAP: c->probes.tap_ifname = arg; break;
	case OPT_NFT: c->probes.nft_table = arg; break;
	case OPT_PINTERVAL:
		c->probes.interval_ms = positive_dur_opt("probe-interval", arg);
		break;
	case OPT_SYSFS: c->probes.sysfs_root = arg; break;
	case OPT_NFTBIN: c->probes.nft_bin = arg; break;
	case OPT_SANDBOX:
		if (strcmp(arg, "seccomp") != 0 && strcmp(arg, "off") != 0)
			usage_error("--sandbox %s: expected seccomp or off", arg);
		c->sandbox = strcmp(arg, "seccomp") == 0;
		break;
	case OPT_RXUSER: c->receiver_user = arg; break;
	case OPT_RXPROG: c->receiver_program = arg; break;
	case OPT_LOG:
		if (log_level_parse(arg, &c->log_level) != 0)
			usage_error("--log-level %s: expected error, warn, info or "
			    "debug", arg);
		break;
	case OPT_HELP:
		fputs(usage_text, stdout);
		return 1;
	case OPT_VERSION:
		printf("cellos-telemetryd %s\n", VERSION);
		return 1;
	}
	return 0;
}

/*
 * A chain line is not verifiable before its seal (up to --seal-interval),
 * so in chain mode holding busy guests for a few ms costs the reader
 * nothing and saves both processes most of their wake-ups. The hold never
 * exceeds what the token bucket holds (burst / rate): frames within the
 * rate limit are never refused because they were read together.
 */
static void
resolve_coalesce(struct config *c)
{
	uint64_t bucket_ms = c->intake.rate_limit ?
	    c->intake.rate_burst * 1000 / c->intake.rate_limit : COALESCE_MAX_MS;

	if (c->coalesce_ms == COALESCE_UNSET) {
		c->coalesce_ms = c->chain ? COALESCE_CHAIN_MS : 0;
		if (c->coalesce_ms > bucket_ms)
			c->coalesce_ms = bucket_ms;
	} else if (c->coalesce_ms > bucket_ms) {
		usage_error("--coalesce %llums is longer than --rate-burst / "
		    "--rate-limit (%llums): frames within the limit would be "
		    "refused; lower --coalesce or raise --rate-burst",
		    (unsigned long long)c->coalesce_ms,
		    (unsigned long long)bucket_ms);
	}
}

/* Combinations and values no single option can check. */
static void
check_config(struct config *c)
{
	resolve_coalesce(c);
	if (c->cell_id == NULL || c->run_id == NULL)
		usage_error("--cell-id and --run-id are required");
	if (c->uds_base == NULL && c->listen_fd < 0) {
		/* systemd socket activation: the socket unit's one socket */
		int rc = ready_listen_fd(&c->listen_fd);

		if (rc < 0)
			die(EXIT_CONFIG, "socket activation passed more than one "
			    "socket (LISTEN_FDS); the socket unit must have exactly "
			    "one ListenStream=");
		if (rc == 0)
			usage_error("--uds-base PATH (or --listen-fd N, or socket "
			    "activation) is required");
	}
	if (c->uds_base != NULL && c->listen_fd >= 0)
		usage_error("--uds-base and --listen-fd exclude each other");
	/* the newline would land in the stream, or close the listener */
	if (c->ready_fd >= 0 && c->ready_fd <= 2)
		usage_error("--ready-fd %d is standard input, output or error; "
		    "pass the supervisor's notification fd (3 or above)",
		    c->ready_fd);
	if (c->ready_fd >= 0 && c->ready_fd == c->listen_fd)
		usage_error("--ready-fd and --listen-fd are both %d; they must "
		    "be different fds", c->ready_fd);
	/* not open now: we would create an fd of that number ourselves and
	 * write the readiness newline into it */
	if (c->ready_fd >= 0 && fcntl(c->ready_fd, F_GETFD) < 0)
		usage_error("--ready-fd %d is not open; open it in the supervisor "
		    "(for example 3>\"$fifo\") and pass its number", c->ready_fd);
	if (c->socket_owner_set && c->listen_fd >= 0)
		usage_error("--socket-owner applies to the socket we bind; with "
		    "--listen-fd the socket is the service manager's to own");
	if (!event_id_ok(c->cell_id))
		die(EXIT_CONFIG, "--cell-id '%.200s' is not 1..128 characters of "
		    "[A-Za-z0-9._:-]", c->cell_id);
	if (!event_id_ok(c->run_id))
		die(EXIT_CONFIG, "--run-id '%.200s' is not 1..128 characters of "
		    "[A-Za-z0-9._:-]", c->run_id);
	if (c->spec_hash != NULL && !event_spec_hash_ok(c->spec_hash))
		die(EXIT_CONFIG, "--spec-signature-hash '%.200s' is not "
		    "sha256:<64 lowercase hex>", c->spec_hash);
}

/*
 * The receiver program and, started as root, the user it becomes: both
 * found before the socket is bound, so a missing one leaves nothing behind.
 * Never a silent fallback to root.
 */
static void
resolve_receiver(struct config *c, int user_given)
{
	struct passwd *pw;
	uint64_t uid, gid;
	char num[32], *colon;

	receiver_find(c->receiver_program, c->receiver_path,
	    sizeof(c->receiver_path));
	if (geteuid() != 0 || !c->sandbox) {
		if (user_given && geteuid() != 0)
			log_msg(LOG_WARN, "--receiver-user needs root; the receiver "
			    "runs as our own user", "user=%s", c->receiver_user);
		return;
	}
	/* UID:GID in numbers needs no user database */
	snprintf(num, sizeof(num), "%s", c->receiver_user);
	colon = strchr(num, ':');
	if (colon != NULL) {
		*colon = '\0';
		if (parse_u64(num, 0, 0xFFFFFFFEu, &uid) != 0 ||
		    parse_u64(colon + 1, 0, 0xFFFFFFFEu, &gid) != 0)
			usage_error("--receiver-user %s: expected a user name or "
			    "UID:GID", c->receiver_user);
	} else {
		errno = 0;
		pw = getpwnam(c->receiver_user);
		if (pw == NULL && errno == ENOMEM)
			die_out_of_memory(0);
		if (pw == NULL && errno != 0 && errno != ENOENT && errno != ESRCH)
			die(EXIT_CONFIG, "cannot look up the receiver user '%s': %s",
			    c->receiver_user, strerror(errno));
		if (pw == NULL)
			die(EXIT_CONFIG, "the receiver user '%s' does not exist; "
			    "create it (useradd --system --no-create-home --home-dir "
			    "/nonexistent --shell /usr/sbin/nologin %s) or name "
			    "another with --receiver-user", c->receiver_user,
			    c->receiver_user);
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	if (uid == 0 || gid == 0)
		die(EXIT_CONFIG, "the receiver user '%s' is root (uid %u gid %u); "
		    "name an unprivileged user with --receiver-user",
		    c->receiver_user, (unsigned)uid, (unsigned)gid);
	c->switch_user = 1;
	c->receiver_uid = (uid_t)uid;
	c->receiver_gid = (gid_t)gid;
}

/*
 * Before any fd is created: 0, 1 and 2 must be open, or the first fd we
 * create (the signalfd) would become stdout. Closed stdin and stderr are
 * pointed at /dev/null; a closed stdout means the stream has nowhere to go.
 */
static void
check_std_fds(void)
{
	int closed[3], fd, stdout_closed;

	for (fd = 0; fd < 3; fd++)
		closed[fd] = fcntl(fd, F_GETFD) < 0 && errno == EBADF;
	stdout_closed = closed[1];
	/* lowest free fd first: each open lands on the one that was closed */
	for (fd = 0; fd < 3; fd++)
		if (closed[fd] && open("/dev/null", O_RDWR) != fd)
			_exit(EXIT_OSERR);
	if (stdout_closed)
		die(EXIT_CONFIG, "standard output is closed: the event stream "
		    "has nowhere to go; start cellos-telemetryd with stdout "
		    "connected to the collector (a pipe or a file)");
}

int
main(int argc, char **argv)
{
	struct sign_opts so = { NULL, NULL, NULL };
	static char cred_key[4096];
	int seen[OPT_LAST] = { 0 }, c;
	struct rlimit nocore = { 0, 0 };

	/* no other process of our uid may read our memory (the key) */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	util_set_progname("cellos-telemetryd");
	check_std_fds();
	/* journald files even a failed start's reason as an error */
	log_set_journal(ready_journal_stream());
	/* no core dump may carry the signing key */
	setrlimit(RLIMIT_CORE, &nocore);
	set_defaults(&cfg);
	opterr = 0;             /* one message, ours, with a suggestion */
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		if (c == ':')
			usage_error("%s needs a value", argv[optind - 1]);
		if (c == '?')
			unknown_option(argv[optind - 1]);
		if (c != OPT_ALLOW && seen[c]++)
			usage_error("--%s given twice", options[c - OPT_CELL].name);
		if (apply_option(&cfg, &so, c, optarg))
			return 0;
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	check_config(&cfg);
	log_set_level(cfg.log_level);
	resolve_receiver(&cfg, seen[OPT_RXUSER]);
	if (sodium_init() < 0)
		die(EXIT_OSERR, "libsodium failed to initialise");
	json_set_alloc_funcs(xmalloc, free);
	atexit(wipe_key);
	/* systemd credentials (LoadCredential=signing-key:...): the default */
	if (so.key_file == NULL && getenv(KEYS_ENV_ED25519) == NULL &&
	    getenv(KEYS_ENV_HMAC) == NULL && getenv("CREDENTIALS_DIRECTORY")) {
		snprintf(cred_key, sizeof(cred_key), "%s/signing-key",
		    getenv("CREDENTIALS_DIRECTORY"));
		if (access(cred_key, F_OK) == 0)
			so.key_file = cred_key;
	}
	cfg.kid_fixed = so.kid != NULL || getenv(KEYS_ENV_KID) != NULL;
	keys_configure(&cfg.key, so.alg, so.key_file, so.kid);
	cfg.key_file = so.key_file;
	if (cfg.chain && cfg.key.alg == ALG_OFF)
		die(EXIT_CONFIG, "--sign-mode chain seals lines with a signature: "
		    "give it a key, or use --sign-mode line with --sign-alg off");
	return loop_run(&cfg);
}
