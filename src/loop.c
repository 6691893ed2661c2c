/*
 * loop.c - the daemon: one thread, one poll() loop, absolute monotonic
 * deadlines, no wake-ups except for a due deadline.
 *
 * Each iteration: fire due timers (which yields the next deadline), write
 * pending output (blocking: a full stdout stalls us, so we stop reading
 * guests), sleep until an fd is ready or that deadline, then handle
 * signals, accept, read, and probe fds, in that order. What the intake and
 * the probes report becomes events here; nothing else builds lines.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <jansson.h>

#include "bucket.h"
#include "clock.h"
#include "conn.h"
#include "event.h"
#include "host_events.h"
#include "keepalive.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "out.h"
#include "probe.h"
#include "ready.h"
#include "sig.h"
#include "stats.h"
#include "summary.h"
#include "util.h"

#define MS 1000000ull
#define DRAIN_NS (250 * MS)
#define DRAIN_QUIET_NS (20 * MS)
#define CONN_EVENT_RATE 10
#define CONN_EVENT_BURST 20
/* host probe readings: a few per interval normally; a misbehaving metrics
 * writer must not turn a megabyte of short lines into as many events */
#define PROBE_READING_RATE 10
#define PROBE_READING_BURST 20
/* deep enough that a connecting VMM never waits on a full backlog */
#define LISTEN_BACKLOG 128

/* Poll slots: the signalfd, the listener, the connections, then probes. */
enum { PFD_SIGNAL, PFD_LISTEN, PFD_CONNS };

struct loop {
	const struct config *cfg;
	struct listener lis;
	int sigfd;
	struct intake in;
	struct pollfd *pfd;
	struct stats st;
	struct reject_summary rep;
	struct bucket conn_ev_bucket;
	struct bucket probe_bucket;
	struct keepalive ka;
	struct event_ctx ev;
	struct out out;
	uint64_t next_checkpoint;
	struct probe probes[PROBE_MAX];
	int nprobes;
	const char *stop_reason;        /* set: leave the loop */
	int exit_code;
	int stdout_failed;              /* nothing more can be written */
};

/* A fatal condition after readiness: stop the loop, finish() cleans up. */
static void
fail(struct loop *L, int code, const char *reason)
{
	if (L->exit_code == 0)
		L->exit_code = code;
	L->stop_reason = reason;
}

static void
flush_out(struct loop *L)
{
	char q[128];

	if (L->stdout_failed || L->out.q.len == 0 || out_flush(&L->out) == 0)
		return;
	/* name the error; its cause (a reader gone, a full disk) is the
	 * operator's to find */
	log_msg(LOG_ERROR, "stdout write failed", "error=%s",
	    log_quote(strerror(errno), q, sizeof(q)));
	L->stdout_failed = 1;
	fail(L, EXIT_IOERR, "stdout_error");
}

static void
after_line(struct loop *L)
{
	L->st.events_emitted = L->ev.seq;
	if (out_full(&L->out))
		flush_out(L);
}

/* Queue one host-built event observed at real-time ns; obj is consumed.
 * Returns 0, or what event_json() returned (the line was not written). */
static int
emit_at(struct loop *L, const char *type, uint64_t ns, json_t *obj)
{
	int rc = 0;

	if (!L->stdout_failed)
		rc = event_json(&L->ev, type, ns, obj, &L->out.q);
	if (rc == -1)
		log_msg(LOG_ERROR, "event could not be canonicalized; dropped",
		    "type=%s", type);
	json_decref(obj);
	after_line(L);
	return rc;
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
	L->st.bytes_received = L->in.bytes_received;
	stats_to_json(&L->st, o);
	return o;
}

static void
emit_summary(struct loop *L, uint64_t now)
{
	emit(L, EVENT_FRAMES_REJECTED, summary_take(&L->rep, now));
}

/* ---- what the intake reports ---- */

static void
conn_event(struct loop *L, const struct conn *c, const char *type,
    const char *reason, uint64_t now)
{
	if (!bucket_take(&L->conn_ev_bucket, now)) {
		L->st.connection_events_suppressed++;
		summary_suppressed(&L->rep);
		return;
	}
	emit(L, type, hostev_connection(c, reason));
	log_msg(LOG_DEBUG, reason ? "connection_closed" : "connection_opened",
	    "connection=%llu peer_pid=%d reason=%s", (unsigned long long)c->id,
	    (int)c->peer_pid, reason ? reason : "-");
}

static void
on_opened(void *ctx, const struct conn *c, uint64_t now)
{
	struct loop *L = ctx;

	L->st.connections_opened++;
	conn_event(L, c, EVENT_CONNECTION_OPENED, NULL, now);
}

static void
on_closed(void *ctx, const struct conn *c, const char *reason, uint64_t now)
{
	struct loop *L = ctx;

	if (strcmp(reason, "read_error") == 0)
		L->st.read_errors++;
	conn_event(L, c, EVENT_CONNECTION_CLOSED, reason, now);
}

static void
on_frame(void *ctx, struct conn *c, const struct wire_frame *f, uint64_t real,
    uint64_t now)
{
	struct loop *L = ctx;
	uint64_t silent_for;

	(void)now;
	L->st.frames_accepted++;
	L->st.heartbeats += f->is_heartbeat != 0;
	/* the clock, not the wake-up time: a flush may have blocked since */
	if (ka_frame(&L->ka, mono_ns(), real, &silent_for)) {
		/* at the frame's time: it is written just before that frame */
		emit_at(L, EVENT_AGENT_RESUMED, real, hostev_resumed(silent_for));
		log_msg(LOG_INFO, "agent resumed", "silent_for_ms=%llu",
		    (unsigned long long)(silent_for / MS));
	}
	if (f->is_heartbeat || L->stdout_failed)
		return;
	if (event_guest(&L->ev, f, real, c->id, &L->out.q) != 0)
		log_msg(LOG_ERROR, "guest event could not be written", NULL);
	after_line(L);
}

static void
on_rejected(void *ctx, enum wire_reason why, uint64_t conn, const char *detail)
{
	struct loop *L = ctx;

	L->st.frames_rejected++;
	L->st.by_reason[why]++;
	summary_reject(&L->rep, why, conn, detail);
}

static void
on_refused(void *ctx)
{
	struct loop *L = ctx;

	L->st.connections_refused++;
	summary_refused(&L->rep);
}

static const struct intake_ops intake_ops = {
	.opened = on_opened,
	.closed = on_closed,
	.frame = on_frame,
	.rejected = on_rejected,
	.refused = on_refused,
};

/* Host probe readings become events like any other (SPEC section 8). */
static void
on_probe_reading(void *ctx, const struct probe *p, json_t *inputs,
    json_t *output, const char *error)
{
	struct loop *L = ctx;
	uint64_t now = real_ns();
	char type[96];

	if (!bucket_take(&L->probe_bucket, mono_ns())) {
		/* counted and summarized, as rejected guest frames are */
		L->st.probe_readings_suppressed++;
		summary_probe_suppressed(&L->rep);
		json_decref(inputs);
		json_decref(output);
		return;
	}
	snprintf(type, sizeof(type), EVENT_TYPE_PROBE "%s", p->ops->name);
	L->st.probe_readings++;
	/* time == host_received_at */
	if (emit_at(L, type, now, hostev_probe(p, json_incref(inputs), output,
	    error, now)) == EVENT_TOO_LONG) {
		char why[128];

		/* lines are bounded: report the reading, not its contents */
		snprintf(why, sizeof(why), "reading does not fit the %zu-byte "
		    "line limit; not written", EVENT_LINE_MAX);
		emit_at(L, type, now, hostev_probe(p, json_incref(inputs), NULL,
		    why, now));
		error = why;
	}
	json_decref(inputs);
	if (error != NULL)
		log_msg(LOG_WARN, "host probe failing", "probe=%s", p->ops->source);
}

/* ---- timers ---- */

static uint64_t
earliest(uint64_t a, uint64_t b)
{
	if (a == 0)
		return b;
	if (b == 0)
		return a;
	return a < b ? a : b;
}

static void
emit_silenced(struct loop *L, uint64_t now)
{
	uint64_t silent = ka_fire(&L->ka, now);

	emit(L, EVENT_AGENT_SILENCED, hostev_silenced(L->cfg, &L->ka, silent,
	    L->st.frames_accepted));
	log_msg(LOG_WARN, "agent silent", "silent_for_ms=%llu",
	    (unsigned long long)(silent / MS));
}

/*
 * Fire every timer that is due at now and return the next deadline
 * (monotonic ns, 0 when nothing is scheduled): one list of timers.
 */
static uint64_t
run_timers(struct loop *L, uint64_t now)
{
	uint64_t next, d;
	int i;

	next = intake_timers(&L->in, now);
	d = ka_deadline(&L->ka);
	/* never call the agent silent while its frames wait unread */
	if (d && now >= d && !intake_unread_waiting(&L->in))
		emit_silenced(L, now);
	next = earliest(next, ka_deadline(&L->ka));
	if (L->next_checkpoint && now >= L->next_checkpoint) {
		emit(L, EVENT_CHECKPOINT, counters(L));
		L->next_checkpoint = now + L->cfg->checkpoint_ms * MS;
	}
	next = earliest(next, L->next_checkpoint);
	for (i = 0; i < L->nprobes; i++) {
		struct probe *p = &L->probes[i];

		if (p->next_ns && now >= p->next_ns)
			p->ops->due(p, now);
		next = earliest(next, p->next_ns);
	}
	d = summary_deadline(&L->rep);
	if (d && now >= d)
		emit_summary(L, now);
	return earliest(next, summary_deadline(&L->rep));
}

static int
poll_timeout(uint64_t deadline, uint64_t now)
{
	uint64_t ms;

	if (deadline == 0)
		return -1;
	if (deadline <= now)
		return 0;
	/* round up: waking a hair early would only mean a second wake-up */
	ms = (deadline - now + MS - 1) / MS;
	return ms > 86400000 ? 86400000 : (int)ms;
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

/* ---- setup, loop, finish ---- */

/*
 * Every fd the loop can hold at once must fit RLIMIT_NOFILE, or poll()
 * fails with EINVAL mid-run: check before readiness, raise the soft limit
 * toward the hard one when that is enough, refuse to start otherwise.
 */
static void
check_fd_limit(const struct config *cfg)
{
	/* stdio, signalfd, ready fd, notify socket, probes (FIFO and its
	 * spare writer, an nft pipe, a sysfs or cgroup file), with room */
	rlim_t need = (rlim_t)cfg->intake.max_connections + CONN_FIXED_FDS + 16;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return;
	if (rl.rlim_max >= need) {
		rl.rlim_cur = need;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			return;
	}
	die(EXIT_CONFIG, "the open file limit (RLIMIT_NOFILE) is %llu, hard "
	    "limit %llu; --max-connections %u needs %llu: raise it (ulimit -n, "
	    "LimitNOFILE=) or lower --max-connections",
	    (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max,
	    cfg->intake.max_connections, (unsigned long long)need);
}

static struct listener *fatal_listener;

/* Out of memory: at least leave no socket of ours on disk. */
static void
unlink_on_fatal(void)
{
	if (fatal_listener != NULL)
		listen_close(fatal_listener);
}

/* Bind, open probes, write started, announce readiness. Startup errors
 * exit here with their code: nothing has been promised yet. */
static void
loop_setup(struct loop *L, const struct config *cfg)
{
	char err[512];
	uint64_t now;
	int rc;

	L->cfg = cfg;
	check_fd_limit(cfg);
	L->sigfd = sig_setup();
	if (L->sigfd < 0)
		die(EXIT_OSERR, "signalfd: %s", strerror(errno));
	/* bind first: the socket must exist before the VM boots */
	if (cfg->listen_fd >= 0)
		rc = listen_adopt(&L->lis, cfg->listen_fd, err, sizeof(err));
	else
		rc = listen_open(&L->lis, cfg->uds_base, cfg->port,
		    cfg->socket_mode, LISTEN_BACKLOG, err, sizeof(err));
	if (rc != 0)
		die(rc, "%s", err);
	fatal_listener = &L->lis;
	util_set_fatal_hook(unlink_on_fatal);

	now = mono_ns();
	intake_init(&L->in, &cfg->intake, L->lis.fd, &intake_ops, L, now);
	L->pfd = xmalloc((PFD_CONNS + L->in.nconns + PROBE_MAX) * sizeof(*L->pfd));
	event_init(&L->ev, cfg->cell_id, cfg->run_id, cfg->spec_hash,
	    cfg->key.alg == ALG_OFF ? NULL : &cfg->key, NULL);
	out_init(&L->out, STDOUT_FILENO, &L->st.stdout_blocked_ns);
	/* probes open before readiness: Firecracker needs the FIFO's reader */
	L->nprobes = probe_open_all(&cfg->probes, L->probes, on_probe_reading,
	    L, now);
	bucket_init(&L->conn_ev_bucket, CONN_EVENT_RATE, CONN_EVENT_BURST, now);
	bucket_init(&L->probe_bucket, PROBE_READING_RATE, PROBE_READING_BURST,
	    now);
	emit(L, EVENT_STARTED, hostev_started(cfg, L->lis.path));
	flush_out(L);
	if (ready_fd_notify(cfg->ready_fd) != 0)
		log_msg(LOG_WARN, "could not write to --ready-fd", "fd=%d",
		    cfg->ready_fd);
	if (ready_sd_notify() != 0)
		log_msg(LOG_WARN, "could not notify $NOTIFY_SOCKET", NULL);
	log_msg(LOG_INFO, "ready", "listen_path=%s sigalg=%s",
	    L->lis.path[0] ? L->lis.path : "-", keys_alg_name(cfg->key.alg));

	/* the silence window starts at readiness */
	now = mono_ns();
	ka_init(&L->ka, cfg->silence_timeout_ms * MS, now);
	if (cfg->checkpoint_ms)
		L->next_checkpoint = now + cfg->checkpoint_ms * MS;
}

/* Build the poll set for this iteration; returns its size. */
static size_t
poll_set(struct loop *L, uint64_t now)
{
	size_t i, np = PFD_CONNS;
	int k;

	L->pfd[PFD_SIGNAL] = (struct pollfd){ .fd = L->sigfd, .events = POLLIN };
	L->pfd[PFD_LISTEN] = (struct pollfd){
	    .fd = intake_listen_fd(&L->in, now), .events = POLLIN };
	for (i = 0; i < L->in.nconns; i++)
		L->pfd[np++] = (struct pollfd){ .fd = L->in.conns[i].fd,
		    .events = POLLIN };
	for (k = 0; k < L->nprobes; k++)
		L->pfd[np++] = (struct pollfd){ .fd = L->probes[k].fd,
		    .events = L->probes[k].events };
	return np;
}

/* Serve what poll() reported ready. */
static void
serve(struct loop *L, uint64_t now)
{
	struct pollfd *pc = &L->pfd[PFD_CONNS], *pp = pc + L->in.nconns;
	size_t i;
	int k;

	if (L->pfd[PFD_LISTEN].revents & (POLLERR | POLLNVAL)) {
		/* the listener itself is broken: no guest can reach us */
		log_msg(LOG_ERROR, "listening socket failed", "revents=%#x",
		    (unsigned)L->pfd[PFD_LISTEN].revents);
		fail(L, EXIT_OSERR, "listener_failed");
		return;
	}
	if (L->pfd[PFD_LISTEN].revents & POLLIN)
		intake_accept(&L->in, now);
	for (i = 0; i < L->in.nconns; i++) {
		struct conn *c = &L->in.conns[i];

		/* the slot may have been closed, or reused by an accept */
		if (pc[i].revents && c->fd >= 0 && pc[i].fd == c->fd)
			intake_read(&L->in, c, now);
	}
	for (k = 0; k < L->nprobes; k++) {
		struct probe *p = &L->probes[k];

		if (!pp[k].revents || pp[k].fd < 0 || pp[k].fd != p->fd)
			continue;
		if (pp[k].revents & POLLNVAL) {
			/* not ours any more: never poll it again */
			log_msg(LOG_ERROR, "host probe fd invalid; probe stopped",
			    "probe=%s", p->ops->source);
			p->fd = -1;
			p->next_ns = 0;
			continue;
		}
		p->ops->ready(p, pp[k].revents, now);
	}
}

/* The one way out after readiness: drain on a signal, stopped, cleanup. */
static int
finish(struct loop *L)
{
	uint64_t now;
	json_t *o;

	/* after a signal, read what the guests have already sent */
	if (L->exit_code == 0)
		intake_drain_and_close(&L->in, DRAIN_NS, DRAIN_QUIET_NS);
	else
		intake_drain_and_close(&L->in, 0, 0);
	probe_close_all(L->probes, L->nprobes);         /* no orphaned nft */
	now = mono_ns();
	/* so the summaries add up to the counters in stopped */
	if (L->rep.pending)
		emit_summary(L, now);
	o = counters(L);
	json_object_set_new(o, "reason", json_string(L->stop_reason));
	emit(L, EVENT_STOPPED, o);
	flush_out(L);
	listen_close(&L->lis);
	log_msg(L->exit_code ? LOG_ERROR : LOG_INFO, "stopped", "reason=%s "
	    "frames_accepted=%llu frames_rejected=%llu exit=%d", L->stop_reason,
	    (unsigned long long)L->st.frames_accepted,
	    (unsigned long long)L->st.frames_rejected, L->exit_code);
	intake_free(&L->in);
	event_free(&L->ev);
	out_free(&L->out);
	free(L->pfd);
	close(L->sigfd);
	return L->exit_code;
}

int
loop_run(const struct config *cfg)
{
	static struct loop L;
	uint64_t now, deadline;

	loop_setup(&L, cfg);
	while (L.stop_reason == NULL) {
		size_t np;
		int n;

		deadline = run_timers(&L, mono_ns());
		flush_out(&L);
		if (L.stop_reason != NULL)
			break;
		now = mono_ns();
		np = poll_set(&L, now);
		n = poll(L.pfd, np, poll_timeout(deadline, now));
		if (n < 0 && errno != EINTR) {
			log_msg(LOG_ERROR, "poll failed", "errno=%d", errno);
			fail(&L, EXIT_OSERR, "poll_failed");
			break;
		}
		if (n <= 0)
			continue;
		now = mono_ns();
		if (L.pfd[PFD_SIGNAL].revents & (POLLERR | POLLNVAL)) {
			log_msg(LOG_ERROR, "signalfd failed", NULL);
			fail(&L, EXIT_OSERR, "signalfd_failed");
			break;
		}
		if (L.pfd[PFD_SIGNAL].revents)
			handle_signals(&L, now);
		if (L.stop_reason == NULL)
			serve(&L, now);
	}
	return finish(&L);
}
