/*
 * rxargs.c - the receiver's command line (see rxargs.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rxargs.h"
#include "util.h"

int
intake_peer_admitted(const struct intake_config *cfg, uid_t uid)
{
	size_t i;

	if (cfg->npeer_uids == 0)
		return 1;
	for (i = 0; i < cfg->npeer_uids; i++)
		if (cfg->peer_uids[i] == uid)
			return 1;
	return 0;
}

/* Append one word to argv, its text to text. */
struct words {
	char *text;
	size_t used;
	char **argv;
	int argc;
};

static void __attribute__((format(printf, 2, 3)))
word(struct words *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->argc >= RXARGS_MAX - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->text + w->used, RXARGS_TEXT - w->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= RXARGS_TEXT - w->used)
		return;         /* cannot happen: the words are bounded */
	w->argv[w->argc++] = w->text + w->used;
	w->used += (size_t)n + 1;
}

int
rxargs_build(const struct rx_settings *s, const char *prog,
    char text[RXARGS_TEXT], char *argv[RXARGS_MAX])
{
	const struct intake_config *in = &s->intake;
	struct words w = { text, 0, argv, 0 };
	char uids[CONN_MAX_PEER_UIDS * 11 + 1];
	size_t i, o = 0;

	word(&w, "%s", prog);
	word(&w, "monitor=%ld", (long)s->monitor);
	word(&w, "max_frame=%zu", in->max_frame);
	word(&w, "frame_timeout_ms=%llu",
	    (unsigned long long)in->frame_timeout_ms);
	word(&w, "max_connections=%u", in->max_connections);
	word(&w, "rate_limit=%llu", (unsigned long long)in->rate_limit);
	word(&w, "rate_burst=%llu", (unsigned long long)in->rate_burst);
	word(&w, "coalesce_ms=%llu", (unsigned long long)s->coalesce_ms);
	word(&w, "sandbox=%d", s->sandbox);
	word(&w, "log_level=%d", (int)s->log_level);
	if (s->switch_user)
		word(&w, "user=%lu:%lu", (unsigned long)s->uid,
		    (unsigned long)s->gid);
	for (i = 0; i < in->npeer_uids; i++)
		o += (size_t)snprintf(uids + o, sizeof(uids) - o, "%s%lu",
		    i ? "," : "", (unsigned long)in->peer_uids[i]);
	if (in->npeer_uids)
		word(&w, "peer_uids=%s", uids);
	for (i = 0; i < in->sources.n; i++)
		word(&w, "source=%s", in->sources.name[i]);
	argv[w.argc] = NULL;
	return w.argc;
}

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static int
num(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	return parse_u64(v, min, max, out);
}

static int
parse_uids(const char *v, struct intake_config *in)
{
	char tmp[CONN_MAX_PEER_UIDS * 11 + 1], *tok, *save = NULL;
	uint64_t u;

	if (strlen(v) >= sizeof(tmp))
		return -1;
	snprintf(tmp, sizeof(tmp), "%s", v);
	for (tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (in->npeer_uids == CONN_MAX_PEER_UIDS ||
		    num(tok, 0, 0xFFFFFFFEu, &u) != 0)
			return -1;
		in->peer_uids[in->npeer_uids++] = (uid_t)u;
	}
	return in->npeer_uids ? 0 : -1;
}

static int
parse_user(const char *v, struct rx_settings *s)
{
	char tmp[32], *colon;
	uint64_t u, g;

	if (strlen(v) >= sizeof(tmp))
		return -1;
	snprintf(tmp, sizeof(tmp), "%s", v);
	colon = strchr(tmp, ':');
	if (colon == NULL)
		return -1;
	*colon = '\0';
	/* never root: the switch is away from it */
	if (num(tmp, 1, 0xFFFFFFFEu, &u) != 0 ||
	    num(colon + 1, 1, 0xFFFFFFFEu, &g) != 0)
		return -1;
	s->switch_user = 1;
	s->uid = (uid_t)u;
	s->gid = (gid_t)g;
	return 0;
}

/* The words every command line must carry, in a bit each. */
enum { W_MONITOR = 1, W_FRAME = 2, W_TIMEOUT = 4, W_CONNS = 8, W_RATE = 16,
	W_BURST = 32, W_COALESCE = 64, W_SANDBOX = 128, W_LOG = 256,
	W_REQUIRED = 511, W_USER = 512, W_UIDS = 1024 };

int
rxargs_parse(int argc, char *const argv[], struct rx_settings *s, char *err,
    size_t errlen)
{
	unsigned seen = 0, bit;
	uint64_t v;
	int i;

	memset(s, 0, sizeof(*s));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		const char *val = eq ? eq + 1 : "";
		size_t klen = eq ? (size_t)(eq - a) : strlen(a);
		int rc = 0;

#define KEY(k) (klen == sizeof(k) - 1 && strncmp(a, k, klen) == 0)
		if (KEY("monitor")) {
			bit = W_MONITOR;
			rc = num(val, 1, 0x7FFFFFFF, &v);
			s->monitor = (pid_t)v;
		} else if (KEY("max_frame")) {
			bit = W_FRAME;
			rc = num(val, WIRE_MAX_FRAME_MIN, WIRE_MAX_FRAME_MAX, &v);
			s->intake.max_frame = (size_t)v;
		} else if (KEY("frame_timeout_ms")) {
			bit = W_TIMEOUT;
			rc = num(val, 1, UINT32_MAX, &s->intake.frame_timeout_ms);
		} else if (KEY("max_connections")) {
			bit = W_CONNS;
			rc = num(val, 1, CONN_MAX, &v);
			s->intake.max_connections = (unsigned)v;
		} else if (KEY("rate_limit")) {
			bit = W_RATE;
			rc = num(val, 0, 10000000, &s->intake.rate_limit);
		} else if (KEY("rate_burst")) {
			bit = W_BURST;
			rc = num(val, 1, 10000000, &s->intake.rate_burst);
		} else if (KEY("coalesce_ms")) {
			bit = W_COALESCE;
			rc = num(val, 0, 1000, &s->coalesce_ms);
		} else if (KEY("sandbox")) {
			bit = W_SANDBOX;
			rc = num(val, 0, 1, &v);
			s->sandbox = (int)v;
		} else if (KEY("log_level")) {
			bit = W_LOG;
			rc = num(val, 0, LOG_DEBUG, &v);
			s->log_level = (enum log_level)v;
		} else if (KEY("user")) {
			bit = W_USER;
			rc = parse_user(val, s);
		} else if (KEY("peer_uids")) {
			bit = W_UIDS;
			rc = parse_uids(val, &s->intake);
		} else if (KEY("source")) {
			struct wire_sources *src = &s->intake.sources;

			bit = 0;
			if (src->n == WIRE_MAX_EXTRA_SOURCES ||
			    !wire_source_name_ok(val))
				rc = -1;
			else
				snprintf(src->name[src->n++], sizeof(src->name[0]),
				    "%s", val);
		} else {
			BAD("unknown word '%.40s'", a);
		}
#undef KEY
		if (eq == NULL || rc != 0 || (seen & bit))
			BAD("bad or repeated word '%.60s'", a);
		seen |= bit;
	}
	if ((seen & W_REQUIRED) != W_REQUIRED)
		BAD("missing words (have %#x of %#x)", seen, W_REQUIRED);
	return 0;
}
