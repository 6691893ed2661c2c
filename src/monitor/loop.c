/*
 * loop.c - the monitor: one thread, one poll() loop, absolute monotonic
 * deadlines, no wake-ups except for a due deadline.
 *
 * Each iteration: fire due timers (which yields the next deadline), write
 * pending output (blocking: a full stdout stalls us, so we stop reading the
 * receiver's records and it stops reading guests), sleep until an fd is
 * ready or that deadline, then handle signals, the receiver's records and
 * probe fds, in that order. What the intake reports (through the records,
 * as intake_ops calls) and what the probes report becomes events here;
 * nothing else builds lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "bucket.h"
#include "clock.h"
#include "channel.h"
#include "conn.h"
#include "event.h"
#include "host_events.h"
#include "keepalive.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "out.h"
#include "probe.h"
#include "receiver.h"
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
/* deep enough that a connecting VMM never waits on a full backlog, even
 * behind a burst of connects arriving faster than the receiver accepts */
#define LISTEN_BACKLOG 1024

/* Poll slots: the signalfd, the receiver's channel, then the probes. */
enum { PFD_SIGNAL, PFD_CHANNEL, PFD_PROBES };

#define CHAN_BUF ((size_t)64 * 1024)

struct loop {
	const struct config *cfg;
	struct listener lis;            /* its path: ours to unlink */
	int sigfd;
	struct receiver rx;
	struct chan_reader cr;
	uint8_t *cbuf;                  /* records read, a partial one kept */
	size_t chave;
	int draining;                   /* the drain was asked for */
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
	uint64_t last_seal;             /* monotonic ns of the last seal line */
	uint64_t flushed_at;            /* monotonic ns a full queue was flushed */
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

static void emit(struct loop *L, const char *type, json_t *obj);

static void
after_line(struct loop *L)
{
	L->st.events_emitted = L->ev.seq;
	if (L->ev.chain_mode) {
		if (L->ev.unsealed == 0)
			L->last_seal = mono_ns();
		else if (L->ev.unsealed >= L->cfg->seal_every)
			emit(L, EVENT_SEAL, hostev_seal(L->ev.unsealed));
	}
	if (out_full(&L->out)) {
		flush_out(L);
		L->flushed_at = mono_ns();
	}
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
	L->st.bytes_received = L->cr.bytes_received;
	stats_to_json(&L->st, o);
	return o;
}

static void
emit_summary(struct loop *L, uint64_t now)
{
	emit(L, EVENT_FRAMES_REJECTED, summary_take(&L->rep, now));
}

/* ---- what the intake reports (in the receiver, through its records) ---- */

static void
conn_event(struct loop *L, const struct conn *c, const char *type,
    const char *reason, uint64_t now)
{
	if (!bucket_take(&L->conn_ev_bucket, now)) {
		L->st.connection_events_suppressed++;
		summary_suppressed(&L->rep);
		return;
	}
	/* at the time the receiver saw it, so lines keep their order */
	emit_at(L, type, c->event_real ? c->event_real : real_ns(),
	    hostev_connection(c, reason));
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

	L->st.frames_accepted++;
	L->st.heartbeats += f->is_heartbeat != 0;
	/* now is when the records were read; a flush since may have blocked */
	if (L->flushed_at > now)
		now = L->flushed_at;
	if (ka_frame(&L->ka, now, real, &silent_for)) {
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
	char type[96], why[128];

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

/* ---- the receiver ---- */

/*
 * The receiver crashed, was killed, sent a bad record or went away before
 * the drain: a signed receiver_failed, then stopped, exit 70. Never a
 * restart: a receiver that fails may be under a guest's control.
 */
static void
receiver_failed(struct loop *L, const char *why, const char *detail)
{
	int status = 0;

	if (L->rx.pid > 0) {
		if (strcmp(why, "bad_record") == 0)
			kill(L->rx.pid, SIGKILL);
		while (waitpid(L->rx.pid, &status, 0) < 0 && errno == EINTR)
			;
		L->rx.pid = 0;
	}
	emit(L, EVENT_RECEIVER_FAILED, hostev_receiver_failed(why, status,
	    detail, L->cr.records, L->cr.last_conn));
	log_msg(LOG_ERROR, "receiver failed", "reason=%s status=%d signal=%d "
	    "records=%llu", why, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0,
	    (unsigned long long)L->cr.records);
	close(L->rx.chan);
	L->rx.chan = -1;
	fail(L, EXIT_SOFTWARE, "receiver_failed");
}

/* The channel ended: after the drain that is the receiver's exit. */
static void
channel_closed(struct loop *L)
{
	int status;

	if (!L->cr.drained) {
		/* learn how it ended before reporting */
		receiver_failed(L, "exited", L->chave ? "a partial record was "
		    "left" : "the channel closed before the drain");
		return;
	}
	while (waitpid(L->rx.pid, &status, 0) < 0 && errno == EINTR)
		;
	L->rx.pid = 0;
	close(L->rx.chan);
	L->rx.chan = -1;
}

static void
read_channel(struct loop *L)
{
	ssize_t n = read(L->rx.chan, L->cbuf + L->chave, CHAN_BUF - L->chave);
	long used;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		channel_closed(L);
		return;
	}
	L->chave += (size_t)n;
	used = chan_dispatch(&L->cr, L->cbuf, L->chave, &L->cfg->intake.sources,
	    &intake_ops, L, real_ns(), mono_ns());
	if (used < 0) {
		receiver_failed(L, "bad_record", L->cr.error);
		return;
	}
	memmove(L->cbuf, L->cbuf + used, L->chave - (size_t)used);
	L->chave -= (size_t)used;
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

/* Records the receiver sent that we have not read: the receiver reads
 * guests as soon as they write unless we are behind. */
static int
records_waiting(struct loop *L)
{
	int avail = 0;

	return L->chave > 0 || (L->rx.chan >= 0 &&
	    ioctl(L->rx.chan, FIONREAD, &avail) == 0 && avail > 0);
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

	d = ka_deadline(&L->ka);
	/* never call the agent silent while its frames wait unread */
	if (d && now >= d && !records_waiting(L))
		emit_silenced(L, now);
	next = ka_deadline(&L->ka);
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
	next = earliest(next, summary_deadline(&L->rep));
	/* a seal once the interval has passed, only over unsealed lines */
	if (L->ev.chain_mode && L->ev.unsealed > 0) {
		d = L->last_seal + L->cfg->seal_interval_ms * MS;
		if (now >= d)
			emit(L, EVENT_SEAL, hostev_seal(L->ev.unsealed));
		else
			next = earliest(next, d);
	}
	return next;
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
loop_setup(struct loop *L, struct config *cfg)
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

	/* the guest-facing work runs apart, without the key */
	if (receiver_start(&L->rx, cfg, L->lis.fd) != 0)
		die(EXIT_OSERR, "cannot start the receiver: %s", strerror(errno));
	listen_release(&L->lis);
	fcntl(L->rx.chan, F_SETFL, O_NONBLOCK);
	chan_reader_init(&L->cr);
	L->cbuf = xmalloc(CHAN_BUF);
	if (!cfg->sandbox)
		log_msg(LOG_WARN, "receiver sandbox off (--sandbox off): for "
		    "debugging only", NULL);

	now = mono_ns();
	L->pfd = xmalloc((PFD_PROBES + PROBE_MAX) * sizeof(*L->pfd));
	event_init(&L->ev, cfg->cell_id, cfg->run_id, cfg->spec_hash,
	    cfg->key.alg == ALG_OFF ? NULL : &cfg->key, NULL);
	if (cfg->chain)
		event_chain_mode(&L->ev);
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
	if (ready_sd_notify("READY=1") != 0)
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
poll_set(struct loop *L)
{
	size_t np = PFD_PROBES;
	int k;

	L->pfd[PFD_SIGNAL] = (struct pollfd){ .fd = L->sigfd, .events = POLLIN };
	L->pfd[PFD_CHANNEL] = (struct pollfd){ .fd = L->rx.chan, .events = POLLIN };
	for (k = 0; k < L->nprobes; k++)
		L->pfd[np++] = (struct pollfd){ .fd = L->probes[k].fd,
		    .events = L->probes[k].events };
	return np;
}

/* Serve what poll() reported ready. */
static void
serve(struct loop *L, uint64_t now)
{
	struct pollfd *pp = &L->pfd[PFD_PROBES];
	int k;

	if (L->pfd[PFD_CHANNEL].revents)
		read_channel(L);
	for (k = 0; k < L->nprobes && L->exit_code == 0; k++) {
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
	(void)ready_sd_notify("STOPPING=1");
	uint64_t now;
	json_t *o;

	/* a fatal error on our side: the receiver goes with us */
	if (L->rx.pid > 0) {
		kill(L->rx.pid, SIGKILL);
		while (waitpid(L->rx.pid, NULL, 0) < 0 && errno == EINTR)
			;
		L->rx.pid = 0;
	}
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
	if (L->rx.chan >= 0)
		close(L->rx.chan);
	free(L->cbuf);
	event_free(&L->ev);
	out_free(&L->out);
	free(L->pfd);
	close(L->sigfd);
	return L->exit_code;
}

/* SIGTERM/SIGINT: the receiver drains; we go on reading its records
 * until its last one (or its failure). */
static int
stopping(struct loop *L)
{
	if (L->stop_reason == NULL)
		return 0;
	if (L->exit_code != 0 || L->cr.drained || L->rx.pid == 0)
		return 1;
	if (!L->draining) {
		L->draining = 1;
		/* the service manager sees the stop begin, not only its end */
		(void)ready_sd_notify("STOPPING=1");
		if (receiver_drain(&L->rx) != 0)
			receiver_failed(L, "exited", "the drain could not be asked for");
	}
	return L->exit_code != 0;
}

int
loop_run(struct config *cfg)
{
	static struct loop L;
	uint64_t now, deadline;

	loop_setup(&L, cfg);
	while (!stopping(&L)) {
		size_t np;
		int n;

		deadline = L.draining ? 0 : run_timers(&L, mono_ns());
		flush_out(&L);
		if (L.exit_code != 0)
			break;
		now = mono_ns();
		np = poll_set(&L);
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
		serve(&L, now);
	}
	return finish(&L);
}
