/*
 * cellos-telemetryd - host side of one cell's guest telemetry channel.
 * Option parsing and dispatch only; the work is in src/loop.c.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sodium.h>

#include "config.h"
#include "event.h"
#include "keys.h"
#include "log.h"
#include "util.h"

#define ENV_ALG "CELLOS_HOST_TELEMETRY_SIGN_ALG"
#define ENV_KID "CELLOS_HOST_TELEMETRY_SIGN_KID"
#define ENV_ED25519 "CELLOS_HOST_TELEMETRY_SIGN_ED25519_KEY"
#define ENV_HMAC "CELLOS_HOST_TELEMETRY_SIGN_HMAC_KEY"

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
"liveness and reporting:\n"
"  --silence-timeout DUR      agent_silenced after DUR without a frame;\n"
"                             0 = off (default 10s)\n"
"  --checkpoint-interval DUR  counters every DUR; 0 = off (default 30s)\n"
"signing:\n"
"  --sign-alg ALG             ed25519, hmac-sha256 or off   [$" ENV_ALG "]\n"
"  --signing-key FILE         key file (base64url, mode 0600)\n"
"                             [$" ENV_ED25519 ", $" ENV_HMAC "]\n"
"  --key-id KID               sigkid (default: derived)     [$" ENV_KID "]\n"
"host probes:\n"
"  --cgroup DIR               read cgroup v2 memory/cpu/pids stats\n"
"  --fc-metrics PATH          Firecracker metrics file or FIFO\n"
"  --tap IFNAME               TAP link state and counters\n"
"  --nft-table NAME           nftables counters of table inet NAME\n"
"  --probe-interval DUR       pace of cgroup, tap, nftables (default 10s)\n"
"  --sysfs-root DIR           sysfs location for --tap (default /sys)\n"
"  --nft-bin PATH             nft program (default nft)\n"
"other:\n"
"  --log-level LEVEL          error, warn, info or debug (default info)\n"
"  --help, --version\n"
"\n"
"Durations take ms, s or m (250ms, 10s, 2m); a bare number is seconds.\n"
"Exit: 0 ok, 64 usage, 66 key missing, 71 system, 73 socket path in use,\n"
"74 stdout error, 77 key permissions, 78 bad configuration.\n";

enum {
	O_CELL = 256, O_RUN, O_SPEC, O_UDS, O_PORT, O_MODE, O_LFD, O_MAXCONN,
	O_PEER, O_READY, O_MAXFRAME, O_FTIMEOUT, O_ALLOW, O_RATE, O_BURST,
	O_SILENCE, O_CHECKPOINT, O_ALG, O_KEY, O_KID, O_CGROUP, O_FC, O_TAP,
	O_NFT, O_PINTERVAL, O_SYSFS, O_NFTBIN, O_LOG, O_HELP, O_VERSION, O_LAST
};

static const struct option options[] = {
	{ "cell-id", required_argument, NULL, O_CELL },
	{ "run-id", required_argument, NULL, O_RUN },
	{ "spec-signature-hash", required_argument, NULL, O_SPEC },
	{ "uds-base", required_argument, NULL, O_UDS },
	{ "port", required_argument, NULL, O_PORT },
	{ "socket-mode", required_argument, NULL, O_MODE },
	{ "listen-fd", required_argument, NULL, O_LFD },
	{ "max-connections", required_argument, NULL, O_MAXCONN },
	{ "peer-uid", required_argument, NULL, O_PEER },
	{ "ready-fd", required_argument, NULL, O_READY },
	{ "max-frame-bytes", required_argument, NULL, O_MAXFRAME },
	{ "frame-timeout", required_argument, NULL, O_FTIMEOUT },
	{ "allow-probe-source", required_argument, NULL, O_ALLOW },
	{ "rate-limit", required_argument, NULL, O_RATE },
	{ "rate-burst", required_argument, NULL, O_BURST },
	{ "silence-timeout", required_argument, NULL, O_SILENCE },
	{ "checkpoint-interval", required_argument, NULL, O_CHECKPOINT },
	{ "sign-alg", required_argument, NULL, O_ALG },
	{ "signing-key", required_argument, NULL, O_KEY },
	{ "key-id", required_argument, NULL, O_KID },
	{ "cgroup", required_argument, NULL, O_CGROUP },
	{ "fc-metrics", required_argument, NULL, O_FC },
	{ "tap", required_argument, NULL, O_TAP },
	{ "nft-table", required_argument, NULL, O_NFT },
	{ "probe-interval", required_argument, NULL, O_PINTERVAL },
	{ "sysfs-root", required_argument, NULL, O_SYSFS },
	{ "nft-bin", required_argument, NULL, O_NFTBIN },
	{ "log-level", required_argument, NULL, O_LOG },
	{ "help", no_argument, NULL, O_HELP },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void
usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "cellos-telemetryd: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'cellos-telemetryd --help'.\n");
	exit(EXIT_USAGE);
}

static uint64_t
num_opt(const char *name, const char *arg, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (parse_u64(arg, min, max, &v) != 0) {
		fprintf(stderr, "cellos-telemetryd: --%s %s: expected a whole "
		    "number from %llu to %llu\nTry 'cellos-telemetryd --help'.\n",
		    name, arg, (unsigned long long)min, (unsigned long long)max);
		exit(EXIT_USAGE);
	}
	return v;
}

static uint64_t
dur_opt(const char *name, const char *arg)
{
	uint64_t ms;

	if (parse_duration_ms(arg, &ms) != 0) {
		fprintf(stderr, "cellos-telemetryd: --%s %s: expected a duration "
		    "such as 250ms, 10s or 2m\nTry 'cellos-telemetryd --help'.\n",
		    name, arg);
		exit(EXIT_USAGE);
	}
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
		if (cfg->npeer_uids == CONFIG_MAX_PEER_UIDS)
			usage_error("--peer-uid %s: at most 16 uids", arg);
		cfg->peer_uids[cfg->npeer_uids++] =
		    (uid_t)num_opt("peer-uid", tok, 0, 0xFFFFFFFEu);
	}
	if (cfg->npeer_uids == 0)
		usage_error("--peer-uid %s: expected UID[,UID...]", arg);
}

/* Resolve algorithm and key: flags win over the environment; key variables
 * are wiped from the environment whatever happens. */
static void
load_signing(struct config *cfg, const char *alg_s, const char *key_file,
    const char *kid)
{
	enum key_alg alg = ALG_NONE;
	char err[512], junk[256];
	int rc = 0, from_env = 0, junk_rc = 0;
	struct key dummy;

	if (alg_s == NULL)
		alg_s = getenv(ENV_ALG);
	if (alg_s != NULL && keys_alg_parse(alg_s, &alg) != 0)
		die(EXIT_CONFIG, "signing algorithm '%s' is unknown; use "
		    "ed25519, hmac-sha256 or off", alg_s);
	if (alg == ALG_NONE)
		alg = getenv(ENV_HMAC) && !getenv(ENV_ED25519) ? ALG_HMAC : ALG_ED25519;
	if (kid == NULL)
		kid = getenv(ENV_KID);

	if (alg != ALG_OFF && key_file != NULL) {
		rc = keys_load_file(key_file, alg, &cfg->key, err, sizeof(err));
	} else if (alg != ALG_OFF) {
		from_env = keys_load_env(alg == ALG_ED25519 ? ENV_ED25519 :
		    ENV_HMAC, alg, &cfg->key, &rc, err, sizeof(err));
	}
	/* never leave a key in the environment, used or not */
	if (keys_load_env(ENV_ED25519, ALG_ED25519, &dummy, &junk_rc, junk,
	    sizeof(junk)))
		keys_free(&dummy);
	if (keys_load_env(ENV_HMAC, ALG_HMAC, &dummy, &junk_rc, junk,
	    sizeof(junk)))
		keys_free(&dummy);
	if (rc != 0)
		die(rc, "%s", err);
	if (alg == ALG_OFF) {
		memset(&cfg->key, 0, sizeof(cfg->key));
		cfg->key.alg = ALG_OFF;
		return;
	}
	if (key_file == NULL && !from_env)
		die(EXIT_CONFIG, "no signing key: pass --signing-key FILE (or set "
		    "$%s), or --sign-alg off to run unsigned; create a key with "
		    "'cellos-telemetry keygen PREFIX'", alg == ALG_HMAC ? ENV_HMAC :
		    ENV_ED25519);
	if (kid != NULL) {
		size_t i, n = strlen(kid);

		for (i = 0; i < n; i++)
			if (kid[i] <= 0x20 || kid[i] >= 0x7f || kid[i] == '"' ||
			    kid[i] == '\\')
				break;
		if (n == 0 || n >= KEY_KID_MAX || i < n)
			die(EXIT_CONFIG, "key id '%s' is not 1..128 printable "
			    "ASCII characters without spaces or quotes", kid);
		snprintf(cfg->key.kid, sizeof(cfg->key.kid), "%s", kid);
	}
}

static struct config cfg;

/* Every exit path (signal, fatal stdout error, die) wipes the key. */
static void
wipe_key(void)
{
	keys_free(&cfg.key);
}

int
main(int argc, char **argv)
{
	const char *alg_s = NULL, *key_file = NULL, *kid = NULL;
	int seen[O_LAST] = { 0 }, c;
	struct rlimit nocore = { 0, 0 };

	util_set_progname("cellos-telemetryd");
	/* no core dump may carry the signing key */
	setrlimit(RLIMIT_CORE, &nocore);

	cfg.port = 9001;
	cfg.max_frame = WIRE_MAX_FRAME_DEFAULT;
	cfg.frame_timeout_ms = 5000;
	cfg.silence_timeout_ms = 10000;
	cfg.checkpoint_ms = 30000;
	cfg.probe_interval_ms = 10000;
	cfg.max_connections = 4;
	cfg.socket_mode = 0600;
	cfg.listen_fd = -1;
	cfg.ready_fd = -1;
	cfg.rate_limit = 10000;
	cfg.rate_burst = 20000;
	cfg.log_level = LOG_INFO;
	cfg.sysfs_root = "/sys";
	cfg.nft_bin = "nft";

	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (c == '?' || c == ':')
			usage_error("%s", "invalid option");
		if (c != O_ALLOW && seen[c]++)
			usage_error("--%s given twice", options[c - O_CELL].name);
		switch (c) {
		case O_CELL: cfg.cell_id = optarg; break;
		case O_RUN: cfg.run_id = optarg; break;
		case O_SPEC: cfg.spec_hash = optarg; break;
		case O_UDS: cfg.uds_base = optarg; break;
		case O_PORT: cfg.port = (unsigned)num_opt("port", optarg, 1, 0xFFFFFFFFu); break;
		case O_MODE: {
			char *end;
			unsigned long m = strtoul(optarg, &end, 8);

			if (*optarg == '\0' || *end != '\0' || m > 0777 || (m & 0600) != 0600)
				usage_error("--socket-mode %s: expected an octal mode "
				    "with owner read/write, such as 0600 or 0660", optarg);
			cfg.socket_mode = (mode_t)m;
			break;
		}
		case O_LFD: cfg.listen_fd = (int)num_opt("listen-fd", optarg, 0, 65535); break;
		case O_MAXCONN: cfg.max_connections = (unsigned)num_opt("max-connections", optarg, 1, 64); break;
		case O_PEER: parse_peer_uids(&cfg, optarg); break;
		case O_READY: cfg.ready_fd = (int)num_opt("ready-fd", optarg, 0, 65535); break;
		case O_MAXFRAME: cfg.max_frame = num_opt("max-frame-bytes", optarg, WIRE_MAX_FRAME_MIN, WIRE_MAX_FRAME_MAX); break;
		case O_FTIMEOUT:
			cfg.frame_timeout_ms = dur_opt("frame-timeout", optarg);
			if (cfg.frame_timeout_ms == 0)
				usage_error("--frame-timeout %s: must be above zero", optarg);
			break;
		case O_ALLOW:
			if (!wire_source_name_ok(optarg))
				usage_error("--allow-probe-source %s: expected 1..64 "
				    "characters of [a-z0-9._-]", optarg);
			if (cfg.sources.n == WIRE_MAX_EXTRA_SOURCES)
				usage_error("--allow-probe-source %s: at most 32 names", optarg);
			snprintf(cfg.sources.name[cfg.sources.n++],
			    sizeof(cfg.sources.name[0]), "%s", optarg);
			break;
		case O_RATE: cfg.rate_limit = num_opt("rate-limit", optarg, 0, 10000000); break;
		case O_BURST: cfg.rate_burst = num_opt("rate-burst", optarg, 1, 10000000); break;
		case O_SILENCE: cfg.silence_timeout_ms = dur_opt("silence-timeout", optarg); break;
		case O_CHECKPOINT: cfg.checkpoint_ms = dur_opt("checkpoint-interval", optarg); break;
		case O_ALG: alg_s = optarg; break;
		case O_KEY: key_file = optarg; break;
		case O_KID: kid = optarg; break;
		case O_CGROUP: cfg.cgroup_dir = optarg; break;
		case O_FC: cfg.fc_metrics = optarg; break;
		case O_TAP: cfg.tap_ifname = optarg; break;
		case O_NFT: cfg.nft_table = optarg; break;
		case O_PINTERVAL:
			cfg.probe_interval_ms = dur_opt("probe-interval", optarg);
			if (cfg.probe_interval_ms == 0)
				usage_error("--probe-interval %s: must be above zero", optarg);
			break;
		case O_SYSFS: cfg.sysfs_root = optarg; break;
		case O_NFTBIN: cfg.nft_bin = optarg; break;
		case O_LOG:
			if (log_level_parse(optarg, &cfg.log_level) != 0)
				usage_error("--log-level %s: expected error, warn, "
				    "info or debug", optarg);
			break;
		case O_HELP:
			fputs(usage_text, stdout);
			return 0;
		case O_VERSION:
			printf("cellos-telemetryd %s\n", VERSION);
			return 0;
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (cfg.cell_id == NULL || cfg.run_id == NULL)
		usage_error("%s", "--cell-id and --run-id are required");
	if (cfg.uds_base == NULL && cfg.listen_fd < 0)
		usage_error("%s", "--uds-base PATH (or --listen-fd N) is required");
	if (cfg.uds_base != NULL && cfg.listen_fd >= 0)
		usage_error("%s", "--uds-base and --listen-fd exclude each other");
	if (!event_id_ok(cfg.cell_id))
		die(EXIT_CONFIG, "--cell-id '%.200s' is not 1..128 characters of "
		    "[A-Za-z0-9._:-]", cfg.cell_id);
	if (!event_id_ok(cfg.run_id))
		die(EXIT_CONFIG, "--run-id '%.200s' is not 1..128 characters of "
		    "[A-Za-z0-9._:-]", cfg.run_id);
	if (cfg.spec_hash != NULL && !event_spec_hash_ok(cfg.spec_hash))
		die(EXIT_CONFIG, "--spec-signature-hash '%.200s' is not "
		    "sha256:<64 lowercase hex>", cfg.spec_hash);
	if (cfg.rate_limit != 0 && cfg.rate_burst < 1)
		die(EXIT_CONFIG, "--rate-burst must be at least 1");
	log_set_level(cfg.log_level);
	if (sodium_init() < 0)
		die(EXIT_OSERR, "libsodium failed to initialise");
	atexit(wipe_key);
	load_signing(&cfg, alg_s, key_file, kid);
	return loop_run(&cfg);
}
