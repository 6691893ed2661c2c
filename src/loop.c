/*
 * loop.c - the daemon: one thread, one poll() loop, absolute monotonic
 * deadlines, no wake-ups except for a due deadline.
 *
 * Poll set: [0] signalfd, [1] listener, [2..] guest connections, then the
 * host probes' fds.
 * Each iteration: write pending output (blocking: a full stdout stalls us,
 * so we stop reading guests), sleep until an fd is ready or the earliest
 * deadline, then handle signals, accept, read, and due timers, in that order.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "conn.h"
#include "event.h"
#include "keepalive.h"
#include "listen.h"
#include "log.h"
#include "out.h"
#include "probe.h"
#include "ready.h"
#include "sig.h"
#include "stats.h"
#include "util.h"

#define MS 1000000ull
#define READ_CHUNK ((size_t)64 * 1024)
#define DRAIN_NS (250 * MS)
#define DRAIN_QUIET_NS (20 * MS)
#define ACCEPT_BATCH 64
#define CONN_EVENT_RATE 10
#define CONN_EVENT_BURST 20

struct loop {
	const struct config *cfg;
	struct listener lis;
	int sigfd;
	struct conn *conns;
	size_t nconns;
	struct pollfd *pfd;
	uint64_t next_conn_id;
	uint64_t accept_pause_until;
	struct stats st;
	struct report rep;
	struct bucket guest_bucket, conn_ev_bucket;
	struct keepalive ka;
	struct event_ctx ev;
	struct out out;
	uint64_t next_checkpoint;
	struct probe probes[PROBE_MAX];
	int nprobes;
	uint8_t *rbuf;
	const char *stop_reason;
};

static void
fatal_stdout(struct loop *L)
{
	char q[128];

	log_msg(LOG_ERROR, "stdout write failed; the reader is gone or the "
	    "pipe broke", "error=%s", log_quote(strerror(errno), q, sizeof(q)));
	probe_close_all(L->probes, L->nprobes);         /* no orphaned nft */
	listen_close(&L->lis);
	exit(EXIT_IOERR);
}

static void
flush_out(struct loop *L)
{
	if (L->out.q.len > 0 && out_flush(&L->out) != 0)
		fatal_stdout(L);
}

/* Queue one host-built event observed at real-time ns; obj is consumed. */
static void
emit_at(struct loop *L, const char *type, uint64_t ns, json_t *obj)
{
	if (event_json(&L->ev, type, ns, obj, &L->out.q) != 0)
		log_msg(LOG_ERROR, "event could not be canonicalized; dropped",
		    "type=%s", type);
	json_decref(obj);
	L->st.events_emitted = L->ev.seq;
	if (out_full(&L->out))
		flush_out(L);
}

static void
emit(struct loop *L, const char *type, json_t *obj)
{
	emit_at(L, type, real_ns(), obj);
}

/* Counters as of the line about to be written (events_emitted counts it). */
static json_t *
counters(struct loop *L)
{
	json_t *o = json_object();

	L->st.events_emitted = L->ev.seq + 1;
	stats_to_json(&L->st, o);
	return o;
}

static void
reject(struct loop *L, enum wire_reason why, uint64_t conn, const char *detail)
{
	L->st.frames_rejected++;
	L->st.by_reason[why]++;
	report_reject(&L->rep, why, conn, detail);
}

static void
emit_summary(struct loop *L, uint64_t now)
{
	emit(L, EVENT_TYPE_HOST "frames_rejected", report_take(&L->rep, now));
}

/* Host probe readings become events like any other (SPEC section 8). */
static void
probe_sink_event(void *ctx, const struct probe *p, json_t *inputs,
    json_t *output, const char *error)
{
	struct loop *L = ctx;
	json_t *o = json_object();
	char type[96], ts[31];
	uint64_t now = real_ns();

	rfc3339_ns(now, ts);
	json_object_set_new(o, "host_received_at", json_string(ts));
	json_object_set_new(o, "probe_source", json_string(p->source));
	json_object_set_new(o, "inputs", inputs);
	json_object_set_new(o, "output", output ? output : json_null());
	if (error != NULL)
		json_object_set_new(o, "error", json_string(error));
	snprintf(type, sizeof(type), PROBE_TYPE_PREFIX "%s", p->name);
	L->st.probe_readings++;
	emit_at(L, type, now, o);       /* time == host_received_at */
	if (error != NULL)
		log_msg(LOG_WARN, "host probe failing", "probe=%s", p->source);
}

static void
conn_event(struct loop *L, const struct conn *c, const char *what,
    const char *reason, uint64_t now)
{
	char type[80];
	json_t *o;

	if (!bucket_take(&L->conn_ev_bucket, now)) {
		L->st.connection_events_suppressed++;
		report_suppressed(&L->rep);
		return;
	}
	o = json_object();
	json_object_set_new(o, "connection", stats_u64(c->id));
	json_object_set_new(o, "peer_pid", c->have_cred ?
	    json_integer(c->peer_pid) : json_null());
	json_object_set_new(o, "peer_uid", c->have_cred ?
	    json_integer(c->peer_uid) : json_null());
	if (reason != NULL) {
		json_object_set_new(o, "reason", json_string(reason));
		json_object_set_new(o, "frames_accepted",
		    stats_u64(c->frames_accepted));
	}
	snprintf(type, sizeof(type), EVENT_TYPE_HOST "%s", what);
	emit(L, type, o);
	log_msg(LOG_DEBUG, what, "connection=%llu peer_pid=%d reason=%s",
	    (unsigned long long)c->id, (int)c->peer_pid, reason ? reason : "-");
}

static void
close_conn(struct loop *L, struct conn *c, const char *reason, uint64_t now)
{
	conn_event(L, c, "connection_closed", reason, now);
	conn_close(c);
}

static void
frame_accepted(struct loop *L, struct conn *c, uint64_t real)
{
	uint64_t silent_for;

	L->st.frames_accepted++;
	c->frames_accepted++;
	/* the clock, not the wake-up time: a flush may have blocked since */
	if (ka_frame(&L->ka, mono_ns(), real, &silent_for)) {
		json_t *o = json_object();

		json_object_set_new(o, "silent_for_ms", stats_u64(silent_for / MS));
		emit(L, EVENT_TYPE_GUEST "agent_resumed", o);
		log_msg(LOG_INFO, "agent resumed", "silent_for_ms=%llu",
		    (unsigned long long)(silent_for / MS));
	}
}

static void
handle_frame(struct loop *L, struct conn *c, const uint8_t *body, size_t len,
    uint64_t now, uint64_t real)
{
	struct wire_frame f;
	struct wire_error err = { .reason = WIRE_OK };

	if (wire_decode(body, len, &L->cfg->sources, &f, &err) != WIRE_OK) {
		reject(L, err.reason, c->id, err.detail);
		return;
	}
	if (f.is_heartbeat) {
		L->st.heartbeats++;
		frame_accepted(L, c, real);
		return;
	}
	if (!bucket_take(&L->guest_bucket, now)) {
		reject(L, WIRE_RATE_LIMITED, c->id, "guest event rate limit");
		return;
	}
	frame_accepted(L, c, real);
	if (event_guest(&L->ev, &f, real, c->id, &L->out.q) != 0)
		log_msg(LOG_ERROR, "guest event could not be written", NULL);
	L->st.events_emitted = L->ev.seq;
	if (out_full(&L->out))
		flush_out(L);
}

/*
 * One read from c. Returns bytes read (> 0), 0 when nothing was there, or
 * -1 when the connection was closed.
 */
static ssize_t
conn_read(struct loop *L, struct conn *c, uint64_t now)
{
	ssize_t n;
	size_t off = 0;
	uint64_t real;
	int was_partial = wire_reasm_partial(&c->reasm), restarted = 0;

	n = read(c->fd, L->rbuf, READ_CHUNK);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		n = 0;          /* reset by peer: same as EOF */
	}
	if (n == 0) {
		if (wire_reasm_partial(&c->reasm)) {
			reject(L, WIRE_TRUNCATED_FRAME, c->id,
			    "connection closed inside a frame");
			close_conn(L, c, "framing_error", now);
		} else {
			close_conn(L, c, "eof", now);
		}
		return -1;
	}
	/* the frame's last byte was read by this call */
	real = real_ns();
	L->st.bytes_received += (uint64_t)n;
	while (off < (size_t)n) {
		const uint8_t *body = NULL;
		size_t used = 0, blen = 0;
		enum wire_step s = wire_reasm_push(&c->reasm, L->rbuf + off,
		    (size_t)n - off, &used, &body, &blen);

		off += used;
		if (s == WIRE_STEP_FRAME) {
			handle_frame(L, c, body, blen, now, real);
			restarted = 1;
		} else if (s == WIRE_STEP_EMPTY) {
			reject(L, WIRE_EMPTY_FRAME, c->id, "zero-length frame");
			restarted = 1;
		} else if (s == WIRE_STEP_ERROR) {
			char d[96];

			snprintf(d, sizeof(d), "declared %u bytes, limit %zu",
			    (unsigned)c->reasm.body_len, L->cfg->max_frame);
			reject(L, WIRE_FRAME_TOO_LARGE, c->id, d);
			close_conn(L, c, "framing_error", now);
			return -1;
		} else {
			break;
		}
	}
	if (!wire_reasm_partial(&c->reasm))
		c->partial_since = 0;
	else if (!was_partial || restarted)
		c->partial_since = now;
	return n;
}

static int
peer_allowed(const struct config *cfg, uid_t uid, int have_cred)
{
	size_t i;

	if (cfg->npeer_uids == 0)
		return 1;
	if (!have_cred)
		return 0;
	for (i = 0; i < cfg->npeer_uids; i++)
		if (cfg->peer_uids[i] == uid)
			return 1;
	return 0;
}

static void
accept_all(struct loop *L, uint64_t now)
{
	int i;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		pid_t pid;
		uid_t uid;
		int hc, fd;
		size_t k;
		struct conn *slot = NULL;

		fd = conn_accept(L->lis.fd, &pid, &uid, &hc);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* cannot take it now: do not spin on a readable
				 * listener; try again shortly */
				L->accept_pause_until = now + 100 * MS;
				log_msg(LOG_WARN, "accept failed; pausing accepts",
				    "errno=%d", errno);
			}
			return;
		}
		for (k = 0; k < L->nconns && slot == NULL; k++)
			if (L->conns[k].fd < 0)
				slot = &L->conns[k];
		if (slot == NULL || !peer_allowed(L->cfg, uid, hc)) {
			/* accepted and closed at once: counted, no event */
			close(fd);
			L->st.connections_refused++;
			report_refused(&L->rep);
			continue;
		}
		conn_open(slot, fd, ++L->next_conn_id, pid, uid, hc,
		    L->cfg->max_frame);
		L->st.connections_opened++;
		conn_event(L, slot, "connection_opened", NULL, now);
	}
}

static int
unread_bytes_waiting(struct loop *L)
{
	size_t i;

	for (i = 0; i < L->nconns; i++) {
		int avail = 0;

		if (L->conns[i].fd >= 0 &&
		    ioctl(L->conns[i].fd, FIONREAD, &avail) == 0 && avail > 0)
			return 1;
	}
	return 0;
}

static void
emit_silenced(struct loop *L, uint64_t now)
{
	json_t *o = json_object();
	uint64_t silent = ka_fire(&L->ka, now);
	char ts[31];

	json_object_set_new(o, "silence_timeout_ms",
	    stats_u64(L->cfg->silence_timeout_ms));
	json_object_set_new(o, "silent_for_ms", stats_u64(silent / MS));
	if (L->ka.last_frame_real) {
		rfc3339_ns(L->ka.last_frame_real, ts);
		json_object_set_new(o, "last_frame_at", json_string(ts));
	} else {
		json_object_set_new(o, "last_frame_at", json_null());
	}
	json_object_set_new(o, "frames_accepted", stats_u64(L->st.frames_accepted));
	emit(L, EVENT_TYPE_GUEST "agent_silenced", o);
	log_msg(LOG_WARN, "agent silent", "silent_for_ms=%llu",
	    (unsigned long long)(silent / MS));
}

static void
run_timers(struct loop *L, uint64_t now)
{
	size_t i;
	uint64_t d;

	for (i = 0; i < L->nconns; i++) {
		struct conn *c = &L->conns[i];

		if (c->fd >= 0 && c->partial_since &&
		    now >= c->partial_since + L->cfg->frame_timeout_ms * MS) {
			reject(L, WIRE_FRAME_TIMEOUT, c->id,
			    "partial frame held past --frame-timeout");
			close_conn(L, c, "frame_timeout", now);
		}
	}
	d = ka_deadline(&L->ka);
	/* never call the agent silent while its frames wait unread */
	if (d && now >= d && !unread_bytes_waiting(L))
		emit_silenced(L, now);
	if (L->next_checkpoint && now >= L->next_checkpoint) {
		emit(L, EVENT_TYPE_HOST "checkpoint", counters(L));
		L->next_checkpoint = now + L->cfg->checkpoint_ms * MS;
	}
	for (i = 0; i < (size_t)L->nprobes; i++) {
		struct probe *p = &L->probes[i];

		if (p->next_ns && now >= p->next_ns)
			p->ops->due(p, now);
	}
	d = report_deadline(&L->rep);
	if (d && now >= d)
		emit_summary(L, now);
}

static uint64_t
earliest(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

static int
poll_timeout(struct loop *L, uint64_t now)
{
	uint64_t d = 0, ms;
	size_t i;

	for (i = 0; i < L->nconns; i++)
		if (L->conns[i].fd >= 0 && L->conns[i].partial_since)
			d = earliest(d, L->conns[i].partial_since +
			    L->cfg->frame_timeout_ms * MS);
	d = earliest(d, ka_deadline(&L->ka));
	d = earliest(d, L->next_checkpoint);
	d = earliest(d, report_deadline(&L->rep));
	for (i = 0; i < (size_t)L->nprobes; i++)
		d = earliest(d, L->probes[i].next_ns);
	if (L->accept_pause_until > now)
		d = earliest(d, L->accept_pause_until);
	if (d == 0)
		return -1;
	if (d <= now)
		return 0;
	/* round up: waking a hair early would only mean a second wake-up */
	ms = (d - now + MS - 1) / MS;
	return ms > 86400000 ? 86400000 : (int)ms;
}

static void
emit_started(struct loop *L)
{
	const struct config *cfg = L->cfg;
	json_t *o = json_object(), *lim = json_object();

	json_object_set_new(o, "listen_path", json_string(L->lis.path));
	json_object_set_new(o, "pid", json_integer(getpid()));
	json_object_set_new(o, "version", json_string(VERSION));
	json_object_set_new(lim, "max_frame_bytes", stats_u64(cfg->max_frame));
	json_object_set_new(lim, "max_connections", stats_u64(cfg->max_connections));
	json_object_set_new(lim, "frame_timeout_ms", stats_u64(cfg->frame_timeout_ms));
	json_object_set_new(lim, "silence_timeout_ms", stats_u64(cfg->silence_timeout_ms));
	json_object_set_new(lim, "checkpoint_interval_ms", stats_u64(cfg->checkpoint_ms));
	json_object_set_new(lim, "probe_interval_ms", stats_u64(cfg->probe_interval_ms));
	json_object_set_new(lim, "rate_limit", stats_u64(cfg->rate_limit));
	json_object_set_new(lim, "rate_burst", stats_u64(cfg->rate_burst));
	json_object_set_new(o, "limits", lim);
	json_object_set_new(o, "sigalg", json_string(keys_alg_name(cfg->key.alg)));
	json_object_set_new(o, "sigkid", cfg->key.alg == ALG_OFF ? json_null() :
	    json_string(cfg->key.kid));
	if (cfg->key.alg == ALG_ED25519) {
		char pk[64];

		b64url_encode(cfg->key.pk, sizeof(cfg->key.pk), pk);
		json_object_set_new(o, "public_key", json_string(pk));
	}
	emit(L, EVENT_TYPE_HOST "started", o);
}

/*
 * Stop accepting and read what the guests have already sent. The drain ends
 * when the sockets stay quiet for DRAIN_QUIET_NS (a writer in the middle of
 * a burst is not cut off between two writes) or at DRAIN_NS in all.
 */
static void
drain(struct loop *L, uint64_t now)
{
	uint64_t deadline = now + DRAIN_NS, quiet_until = now + DRAIN_QUIET_NS;
	size_t i, open;

	for (;;) {
		uint64_t until = quiet_until < deadline ? quiet_until : deadline;
		int n;

		now = mono_ns();
		if (now >= until)
			return;
		for (i = 0, open = 0; i < L->nconns; i++) {
			L->pfd[i] = (struct pollfd){ .fd = L->conns[i].fd,
			    .events = POLLIN };
			open += L->conns[i].fd >= 0;
		}
		if (open == 0)
			return;
		n = poll(L->pfd, L->nconns, (int)((until - now + MS - 1) / MS));
		if (n <= 0)
			continue;
		for (i = 0; i < L->nconns; i++) {
			struct conn *c = &L->conns[i];

			if (!L->pfd[i].revents || c->fd < 0 || L->pfd[i].fd != c->fd)
				continue;
			while (c->fd >= 0 && mono_ns() < deadline &&
			    conn_read(L, c, mono_ns()) > 0)
				quiet_until = mono_ns() + DRAIN_QUIET_NS;
		}
	}
}

static void
shutdown_and_exit(struct loop *L, uint64_t now)
{
	size_t i;
	json_t *o;

	drain(L, now);
	now = mono_ns();
	for (i = 0; i < L->nconns; i++) {
		struct conn *c = &L->conns[i];

		if (c->fd < 0)
			continue;
		if (wire_reasm_partial(&c->reasm))
			reject(L, WIRE_TRUNCATED_FRAME, c->id,
			    "shutdown inside a frame");
		close_conn(L, c, "shutdown", now);
	}
	probe_close_all(L->probes, L->nprobes);
	/* so the summaries add up to the counters in stopped */
	if (L->rep.pending)
		emit_summary(L, now);
	o = counters(L);
	json_object_set_new(o, "reason", json_string(L->stop_reason));
	emit(L, EVENT_TYPE_HOST "stopped", o);
	flush_out(L);
	listen_close(&L->lis);
	log_msg(LOG_INFO, "stopped", "reason=%s frames_accepted=%llu "
	    "frames_rejected=%llu", L->stop_reason,
	    (unsigned long long)L->st.frames_accepted,
	    (unsigned long long)L->st.frames_rejected);
	exit(0);
}

static void
handle_signals(struct loop *L, uint64_t now)
{
	int s;

	while ((s = sig_read(L->sigfd)) != 0) {
		switch (s) {
		case SIGTERM:
		case SIGINT:
			if (L->stop_reason == NULL)
				L->stop_reason = s == SIGTERM ? "sigterm" : "sigint";
			break;
		case SIGUSR1:
			ka_pause(&L->ka);
			log_msg(LOG_INFO, "silence detection paused", NULL);
			break;
		case SIGUSR2:
			ka_resume(&L->ka, now);
			log_msg(LOG_INFO, "silence detection resumed", NULL);
			break;
		case SIGHUP:
			log_msg(LOG_INFO, "SIGHUP ignored; restart to reconfigure",
			    NULL);
			break;
		}
	}
}

int
loop_run(const struct config *cfg)
{
	static struct loop L;
	char err[512];
	uint64_t now;
	size_t i;
	int rc;

	L.cfg = cfg;
	L.sigfd = sig_setup();
	if (L.sigfd < 0)
		die(EXIT_OSERR, "signalfd: %s", strerror(errno));
	/* bind first: the socket must exist before the VM boots */
	if (cfg->listen_fd >= 0)
		rc = listen_adopt(&L.lis, cfg->listen_fd, err, sizeof(err));
	else
		rc = listen_open(&L.lis, cfg->uds_base, cfg->port,
		    cfg->socket_mode, 16, err, sizeof(err));
	if (rc != 0)
		die(rc, "%s", err);

	L.nconns = cfg->max_connections;
	L.conns = xmalloc(L.nconns * sizeof(*L.conns));
	for (i = 0; i < L.nconns; i++)
		L.conns[i].fd = -1;
	L.pfd = xmalloc((2 + L.nconns + PROBE_MAX) * sizeof(*L.pfd));
	L.rbuf = xmalloc(READ_CHUNK);
	event_init(&L.ev, cfg->cell_id, cfg->run_id, cfg->spec_hash,
	    cfg->key.alg == ALG_OFF ? NULL : &cfg->key, NULL);
	out_init(&L.out, STDOUT_FILENO, &L.st.stdout_blocked_ns);

	now = mono_ns();
	/* probes open before readiness: Firecracker needs the FIFO's reader */
	L.nprobes = probe_open_all(cfg, L.probes, probe_sink_event, &L, now);
	bucket_init(&L.guest_bucket, cfg->rate_limit, cfg->rate_burst, now);
	bucket_init(&L.conn_ev_bucket, CONN_EVENT_RATE, CONN_EVENT_BURST, now);
	emit_started(&L);
	flush_out(&L);
	if (ready_fd_notify(cfg->ready_fd) != 0)
		log_msg(LOG_WARN, "could not write to --ready-fd", "fd=%d",
		    cfg->ready_fd);
	if (ready_sd_notify() != 0)
		log_msg(LOG_WARN, "could not notify $NOTIFY_SOCKET", NULL);
	log_msg(LOG_INFO, "ready", "listen_path=%s sigalg=%s",
	    L.lis.path[0] ? L.lis.path : "-", keys_alg_name(cfg->key.alg));

	/* the silence window starts at readiness */
	now = mono_ns();
	ka_init(&L.ka, cfg->silence_timeout_ms * MS, now);
	if (cfg->checkpoint_ms)
		L.next_checkpoint = now + cfg->checkpoint_ms * MS;

	for (;;) {
		int timeout, n;
		size_t np = 0;

		flush_out(&L);
		now = mono_ns();
		L.pfd[np++] = (struct pollfd){ .fd = L.sigfd, .events = POLLIN };
		L.pfd[np++] = (struct pollfd){ .fd = L.accept_pause_until > now ?
		    -1 : L.lis.fd, .events = POLLIN };
		for (i = 0; i < L.nconns; i++)
			L.pfd[np++] = (struct pollfd){ .fd = L.conns[i].fd,
			    .events = POLLIN };
		for (i = 0; i < (size_t)L.nprobes; i++)
			L.pfd[np++] = (struct pollfd){ .fd = L.probes[i].fd,
			    .events = L.probes[i].events };
		timeout = poll_timeout(&L, now);
		n = poll(L.pfd, np, timeout);
		if (n < 0 && errno != EINTR)
			die(EXIT_OSERR, "poll: %s", strerror(errno));
		now = mono_ns();
		if (n > 0 && L.pfd[0].revents)
			handle_signals(&L, now);
		if (L.stop_reason != NULL)
			shutdown_and_exit(&L, now);
		if (n > 0 && L.pfd[1].revents & POLLIN)
			accept_all(&L, now);
		for (i = 0; n > 0 && i < L.nconns; i++)
			if (L.pfd[2 + i].revents && L.conns[i].fd >= 0 &&
			    L.pfd[2 + i].fd == L.conns[i].fd)
				conn_read(&L, &L.conns[i], now);
		for (i = 0; n > 0 && i < (size_t)L.nprobes; i++) {
			struct pollfd *pf = &L.pfd[2 + L.nconns + i];

			if (pf->revents && pf->fd >= 0 && pf->fd == L.probes[i].fd)
				L.probes[i].ops->ready(&L.probes[i], pf->revents, now);
		}
		run_timers(&L, mono_ns());
	}
}
