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
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "bucket.h"
#include "clock.h"
#include "channel.h"
#include "event.h"
#include "host_events.h"
#include "keepalive.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "out.h"
#include "probe.h"
#include "receiver.h"
#include "records.h"
#include "ready.h"
#include "sig.h"
#include "stats.h"
#include "summary.h"
#include "util.h"

#define MS 1000000ull
/* the receiver's drain bound (serve.c), and the second more we give it */
#define DRAIN_NS (250 * MS)
#define DRAIN_GRACE_NS (1000 * MS)
/* from exec to HELLO: loading, confining; far more than it takes */
#define RECEIVER_START_MS 5000
/* how long a receiver killed with SIGKILL may take to be reaped */
#define RECEIVER_REAP_MS 1000
/* after the channel's EOF, how soon the receiver must have exited */
#define EXIT_AFTER_EOF_NS (200 * MS)
#define CONN_EVENT_RATE 10
#define CONN_EVENT_BURST 20
/* host probe readings: a few per interval normally; a misbehaving metrics
 * writer must not turn a megabyte of short lines into as many events */
#define PROBE_READING_RATE 10
#define PROBE_READING_BURST 20
/* deep enough that a connecting VMM never waits on a full backlog, even
 * behind a burst of connects arriving faster than the receiver accepts */
#define LISTEN_BACKLOG 1024

/* Poll slots: the signalfd, the receiver's channel and its pidfd, then
 * the probes. */
enum { PFD_SIGNAL, PFD_CHANNEL, PFD_RECEIVER, PFD_PROBES };

struct loop {
	const struct config *cfg;
	struct key *key;                /* cfg's key: SIGHUP replaces it */
	struct listener lis;            /* its path: ours to unlink */
	int sigfd;
	struct receiver rx;
	struct records rec;
	int draining;                   /* the drain was asked for */
	uint64_t drain_deadline;        /* monotonic ns, plus our own stalls */
	uint64_t drain_stalled_base;    /* stdout_blocked_ns when asked */
	int rx_done;                    /* drained, exited 0: a clean end */
	int rx_failed;                  /* receiver_failed written */
	int chan_ended;                 /* EOF read on the channel */
	uint64_t exit_deadline;         /* after EOF: it must have exited */
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
	int notify;                     /* $NOTIFY_SOCKET: STATUS= lines */
	uint64_t status_next;           /* monotonic ns the next may go */
	uint64_t status_blocked_ms;     /* stdout_blocked_ms last said */
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

#define STATUS_EVERY_NS (5000 * MS)

/*
 * STATUS= for the service manager (systemctl status): what we listen on,
 * the guest connections open, the lines written, and how long stdout has
 * blocked us. Sent with READY=1 and STOPPING=1 (prefix), then with the
 * lines we write, at most every 5 s (at once after a connection change or
 * a stall of stdout): no wake-up of its own.
 */
static int
status_update(struct loop *L, const char *prefix)
{
	char msg[PATH_MAX + 256];
	uint64_t now = mono_ns(), blocked_ms = L->st.stdout_blocked_ns / MS;
	size_t open = 0;
	unsigned i;

	if (!L->notify || (prefix == NULL && now < L->status_next &&
	    blocked_ms < L->status_blocked_ms + 1000))
		return 0;
	for (i = 0; L->rec.conns != NULL && i < L->cfg->intake.max_connections;
	    i++)
		open += L->rec.conns[i].open != 0;
	snprintf(msg, sizeof(msg), "%sSTATUS=%s %s; %zu guest connection(s); "
	    "%llu line(s) written; stdout blocked %llu ms in all",
	    prefix ? prefix : "", L->stop_reason ? "stopping, was listening on" :
	    "listening on", L->lis.path[0] ? L->lis.path : "an inherited socket",
	    open, (unsigned long long)L->ev.seq, (unsigned long long)blocked_ms);
	L->status_next = now + STATUS_EVERY_NS;
	L->status_blocked_ms = blocked_ms;
	return ready_sd_notify(msg);
}

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
	(void)status_update(L, NULL);
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
	L->st.bytes_received = L->rec.bytes_received;
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
conn_event(struct loop *L, const struct rx_conn *c, const char *type,
    const char *reason, uint64_t real, uint64_t now)
{
	if (!bucket_take(&L->conn_ev_bucket, now)) {
		L->st.connection_events_suppressed++;
		summary_suppressed(&L->rep);
		return;
	}
	/* at the time the receiver saw it, so lines keep their order */
	emit_at(L, type, real, hostev_connection(c, reason));
	log_msg(LOG_DEBUG, reason ? "connection_closed" : "connection_opened",
	    "connection=%llu peer_pid=%d reason=%s", (unsigned long long)c->id,
	    (int)c->peer_pid, reason ? reason : "-");
}

static void
on_opened(void *ctx, const struct rx_conn *c, uint64_t real)
{
	struct loop *L = ctx;

	L->st.connections_opened++;
	L->status_next = 0;
	conn_event(L, c, EVENT_CONNECTION_OPENED, NULL, real, mono_ns());
}

static void
on_closed(void *ctx, const struct rx_conn *c, const char *reason,
    uint64_t real)
{
	struct loop *L = ctx;

	if (strcmp(reason, "read_error") == 0)
		L->st.read_errors++;
	L->status_next = 0;
	conn_event(L, c, EVENT_CONNECTION_CLOSED, reason, real, mono_ns());
}

static void
on_frame(void *ctx, const struct rx_conn *c, const struct wire_frame *f,
    uint64_t real, uint64_t now)
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

/* A count the receiver sent is applied in one step, never once per unit. */
static void
on_rejected(void *ctx, enum wire_reason why, uint32_t count, uint64_t conn,
    const char *detail)
{
	struct loop *L = ctx;

	L->st.frames_rejected += count;
	L->st.by_reason[why] += count;
	summary_reject(&L->rep, why, count, conn, detail);
}

static void
on_refused(void *ctx, uint32_t count)
{
	struct loop *L = ctx;

	L->st.connections_refused += count;
	summary_refused(&L->rep, count);
}

static const struct records_ops records_ops = {
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
 * The receiver crashed, was killed, sent a bad record, closed the channel,
 * exited without being asked to drain or missed the drain's deadline: it
 * is killed (if it still runs), reaped within a bounded wait, and reported
 * in a signed receiver_failed; then stopped, exit 70. Never a restart: a
 * receiver that fails may be under a guest's control.
 */
static void
receiver_failed(struct loop *L, const char *why, const char *detail)
{
	int status;

	if (L->rx_failed++)
		return;
	receiver_kill(&L->rx, RECEIVER_REAP_MS);
	records_close_fds(&L->rec);
	status = L->rx.reaped ? L->rx.status : -1;
	/* what it reported before failing is summarized before the failure */
	if (L->rep.pending)
		emit_summary(L, mono_ns());
	emit(L, EVENT_RECEIVER_FAILED, hostev_receiver_failed(why, status,
	    detail, L->rec.records, L->rec.last_conn));
	log_msg(LOG_ERROR, "receiver failed", "reason=%s status=%d signal=%d "
	    "records=%llu", why, L->rx.reaped && WIFEXITED(status) ?
	    WEXITSTATUS(status) : -1, L->rx.reaped && WIFSIGNALED(status) ?
	    WTERMSIG(status) : 0, (unsigned long long)L->rec.records);
	fail(L, EXIT_SOFTWARE, "receiver_failed");
}

/* One read of the channel. */
static void
read_channel(struct loop *L)
{
	int rc = records_read(&L->rec, L->rx.chan, &records_ops, L);

	if (rc == -2)
		receiver_failed(L, "bad_record", L->rec.error);
	else if (rc == -1 && !L->chan_ended) {
		/* a process that exits closes the channel a moment before
		 * its pidfd says so: its exit is judged when it comes, and a
		 * receiver still running a moment later closed it alive */
		L->chan_ended = 1;
		L->exit_deadline = mono_ns() + EXIT_AFTER_EOF_NS;
	}
}

/*
 * The receiver has exited (its pidfd is readable): read what it left in
 * the channel, then judge. A clean end is exactly: the drain asked for,
 * DRAINED received, exit status 0. Anything else is a failure.
 */
static void
receiver_exited(struct loop *L)
{
	char why[96];
	int rc = 1, i, s;

	if (!receiver_reap(&L->rx))
		return;
	/* fds it sent and we did not claim: a copy of its channel end
	 * among them would keep the channel from ending */
	records_close_fds(&L->rec);
	for (i = 0; i < 4096 && rc == 1 && L->exit_code == 0; i++)
		rc = records_read(&L->rec, L->rx.chan, &records_ops, L);
	if (L->exit_code != 0)
		return;
	if (rc == -2) {
		receiver_failed(L, "bad_record", L->rec.error);
		return;
	}
	s = L->rx.status;
	if (L->rec.state == RECORDS_DRAINED && rc == -1 && L->rec.have == 0 &&
	    WIFEXITED(s) && WEXITSTATUS(s) == 0) {
		L->rx_done = 1;
		return;
	}
	snprintf(why, sizeof(why), "it exited %s", !L->draining ? "without "
	    "being asked to drain" : L->rec.state != RECORDS_DRAINED ?
	    "before its drain was complete" : WIFEXITED(s) && WEXITSTATUS(s) ?
	    "with a non-zero status after the drain" : "after the drain, "
	    "but not cleanly");
	receiver_failed(L, "exited", why);
}

/* The user the receiver runs as, for started: as --receiver-user named
 * it when it switched, else our own uid (no user database lookup: it can
 * fail, or crash inside glibc, when memory runs out). */
static void
receiver_user_name(const struct config *cfg, uint32_t uid, char *out,
    size_t cap)
{
	if (cfg->switch_user)
		snprintf(out, cap, "%s", cfg->receiver_user);
	else
		snprintf(out, cap, "%u", (unsigned)uid);
}

/*
 * Start the receiver and wait (bounded) for its HELLO: it is confined
 * before it says so, and says what is in place. Before readiness, so a
 * failure here is a plain startup error, with the receiver's own lines
 * (tagged) above it.
 */
static void
receiver_begin(struct loop *L, struct config *cfg)
{
	struct rx_settings s;
	struct pollfd p[2];
	uint64_t until;
	unsigned want = 0, missing;

	memset(&s, 0, sizeof(s));
	s.intake = cfg->intake;
	s.coalesce_ms = cfg->coalesce_ms;
	s.sandbox = cfg->sandbox;
	s.switch_user = cfg->switch_user;
	s.uid = cfg->receiver_uid;
	s.gid = cfg->receiver_gid;
	s.monitor = getpid();
	s.log_level = cfg->log_level;
	records_init(&L->rec, &cfg->intake, L->lis.fd, real_ns(), mono_ns());
	if (receiver_start(&L->rx, cfg->receiver_path, &s, L->lis.fd) != 0) {
		listen_close(&L->lis);
		die(EXIT_OSERR, "cannot start the receiver %s: %s",
		    cfg->receiver_path, strerror(errno));
	}
	until = mono_ns() + RECEIVER_START_MS * MS;
	while (L->rec.state == RECORDS_STARTING) {
		uint64_t now = mono_ns();
		const char *why = NULL;
		int rc;

		p[0] = (struct pollfd){ .fd = L->rx.chan, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = L->rx.pidfd, .events = POLLIN };
		if (now >= until) {
			why = "no word from it in 5 s";
		} else {
			(void)poll(p, 2, (int)((until - now) / MS) + 1);
			rc = records_read(&L->rec, L->rx.chan, &records_ops, L);
			if (rc == -2)
				why = L->rec.error;
			else if (rc == -1 || (rc == 0 && p[1].revents))
				why = "it exited";
		}
		if (why != NULL) {
			receiver_kill(&L->rx, RECEIVER_REAP_MS);
			listen_close(&L->lis);
			die(EXIT_SOFTWARE, "the receiver %s did not start (%s); "
			    "its reason, if it gave one, is logged above",
			    cfg->receiver_path, why);
		}
	}
	if (cfg->switch_user)
		want |= CHAN_CONF_USER | CHAN_CONF_ROOT | CHAN_CONF_NOCAPS;
	if (cfg->sandbox)
		want |= CHAN_CONF_SECCOMP | CHAN_CONF_LIMITS;
	/* not yet fed a guest byte: what it says is what it did */
	if ((L->rec.hello_flags & want) != want || (cfg->switch_user &&
	    L->rec.hello_uid != cfg->receiver_uid)) {
		receiver_kill(&L->rx, RECEIVER_REAP_MS);
		listen_close(&L->lis);
		die(EXIT_SOFTWARE, "the receiver %s started without the "
		    "confinement asked for (%#x of %#x)", cfg->receiver_path,
		    L->rec.hello_flags, want);
	}
	missing = CHAN_CONF_ALL & ~L->rec.hello_flags;
	if (cfg->sandbox && missing)
		log_msg(LOG_WARN, "receiver confined without privileges: same "
		    "user, shared root, capabilities as ours (start as root to "
		    "switch it to --receiver-user)", "missing=%#x", missing);
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

	/* bytes in the socket only: a partial record we hold may never be
	 * finished (a hostile receiver's), and must not hold off the silence
	 * nor leave a due deadline to spin on */
	return L->rx.chan >= 0 && !L->chan_ended &&
	    ioctl(L->rx.chan, FIONREAD, &avail) == 0 && avail > 0;
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

/*
 * SIGHUP: read the key file again. The same key: nothing. Another key: a
 * key_rotated line signed by the old key (a seal in chain mode), then every
 * line by the new one, so a verifier that trusts the old key learns the
 * new one from the stream. A file that does not load, or a key whose kid
 * --key-id pinned, keeps the old key: an error logged, nothing written.
 */
static void
rotate_key(struct loop *L)
{
	const struct config *cfg = L->cfg;
	struct key nk;
	char err[512], q[600];

	if (L->key->alg == ALG_OFF || cfg->key_file == NULL) {
		log_msg(LOG_WARN, "SIGHUP: no key file to read again", "%s",
		    L->key->alg == ALG_OFF ? "reason=unsigned" :
		    "reason=\"the key came from the environment\"");
		return;
	}
	memset(&nk, 0, sizeof(nk));
	if (keys_load_file(cfg->key_file, L->key->alg, &nk, err,
	    sizeof(err)) != 0) {
		log_msg(LOG_ERROR, "key reload failed; still signing with the "
		    "current key", "kid=%s error=%s", L->key->kid,
		    log_quote(err, q, sizeof(q)));
		return;
	}
	if (nk.secret_len == L->key->secret_len &&
	    sodium_memcmp(nk.secret, L->key->secret, nk.secret_len) == 0) {
		keys_free(&nk);
		log_msg(LOG_INFO, "SIGHUP: key unchanged", "kid=%s", L->key->kid);
		return;
	}
	if (cfg->kid_fixed || strcmp(nk.kid, L->key->kid) == 0) {
		keys_free(&nk);
		log_msg(LOG_ERROR, "key file changed but the key id would not: "
		    "still signing with the current key (restart with the new "
		    "key and --key-id)", "kid=%s", L->key->kid);
		return;
	}
	emit(L, EVENT_KEY_ROTATED, hostev_key_rotated(L->key, &nk));
	log_msg(LOG_INFO, "key rotated", "old_kid=%s new_kid=%s", L->key->kid,
	    nk.kid);
	keys_free(L->key);
	*L->key = nk;
	event_key_changed(&L->ev);
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
			rotate_key(L);
			break;
		case SIGCHLD:
			/* the receiver's exit when there is no pidfd; a probe's
			 * child (nft) is the probe's to reap */
			if (L->exit_code == 0)
				receiver_exited(L);
			break;
		}
	}
}

/* ---- setup, loop, finish ---- */

/*
 * The receiver sets RLIMIT_NOFILE to what --max-connections needs (it can
 * lower the hard limit, never raise it), and every fd our own loop holds
 * must fit too, or poll() fails with EINVAL mid-run: check before
 * readiness, raise the soft limit toward the hard one when that is enough,
 * refuse to start otherwise.
 */
static void
check_fd_limit(const struct config *cfg)
{
	/* ours: stdio, signalfd, channel, pidfd, ready fd, notify socket,
	 * fds received and not yet checked, probes (FIFO and its spare
	 * writer, an nft pipe, a sysfs or cgroup file), with room */
	rlim_t need = RX_NOFILE(cfg->intake.max_connections);
	struct rlimit rl;

	if (need < 32)
		need = 32;
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
	char err[512], rx_user[64];
	uint64_t now;
	int rc;

	L->cfg = cfg;
	L->key = &cfg->key;
	check_fd_limit(cfg);
	L->sigfd = sig_setup();
	if (L->sigfd < 0)
		die(EXIT_OSERR, "signalfd: %s", strerror(errno));
	/* bind first: the socket must exist before the VM boots */
	if (cfg->listen_fd >= 0)
		rc = listen_adopt(&L->lis, cfg->listen_fd, err, sizeof(err));
	else
		rc = listen_open(&L->lis, cfg->uds_base, cfg->port,
		    cfg->socket_mode, cfg->socket_owner_set ? &(struct
		    listen_owner){ cfg->socket_uid, cfg->socket_gid } : NULL,
		    LISTEN_BACKLOG, err, sizeof(err));
	if (rc != 0)
		die(rc, "%s", err);
	fatal_listener = &L->lis;
	util_set_fatal_hook(unlink_on_fatal);

	/* the guest-facing work runs apart: another program, without the key */
	receiver_begin(L, cfg);
	listen_release(&L->lis);
	receiver_user_name(cfg, L->rec.hello_uid, rx_user, sizeof(rx_user));
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
	emit(L, EVENT_STARTED, hostev_started(cfg, L->lis.path, rx_user,
	    L->rec.hello_flags & CHAN_CONF_ROOT ? "empty" : "shared"));
	flush_out(L);
	if (ready_fd_notify(cfg->ready_fd) != 0)
		log_msg(LOG_WARN, "could not write to --ready-fd", "fd=%d",
		    cfg->ready_fd);
	L->notify = getenv("NOTIFY_SOCKET") != NULL;
	if (status_update(L, "READY=1\n") != 0)
		log_msg(LOG_WARN, "could not notify $NOTIFY_SOCKET", NULL);
	log_msg(LOG_INFO, "ready", "listen_path=%s sigalg=%s",
	    L->lis.path[0] ? L->lis.path : "-", keys_alg_name(cfg->key.alg));

	/* the silence window starts at readiness */
	now = mono_ns();
	ka_init(&L->ka, cfg->silence_timeout_ms * MS, now);
	if (cfg->checkpoint_ms)
		L->next_checkpoint = now + cfg->checkpoint_ms * MS;
	/* what came in with HELLO, now that events can be written */
	if (records_dispatch_held(&L->rec, &records_ops, L) != 0)
		receiver_failed(L, "bad_record", L->rec.error);
}

/* Build the poll set for this iteration; returns its size. */
static size_t
poll_set(struct loop *L)
{
	size_t np = PFD_PROBES;
	int k;

	L->pfd[PFD_SIGNAL] = (struct pollfd){ .fd = L->sigfd, .events = POLLIN };
	L->pfd[PFD_CHANNEL] = (struct pollfd){ .fd = L->chan_ended ? -1 :
	    L->rx.chan, .events = POLLIN };
	L->pfd[PFD_RECEIVER] = (struct pollfd){ .fd = L->rx.pidfd,
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
	struct pollfd *pp = &L->pfd[PFD_PROBES];
	int k;

	if (L->pfd[PFD_CHANNEL].revents)
		read_channel(L);
	if (L->pfd[PFD_RECEIVER].revents && L->exit_code == 0)
		receiver_exited(L);
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
	uint64_t now;
	json_t *o;

	if (!L->draining)
		(void)status_update(L, "STOPPING=1\n");
	/* a fatal error on our side: the receiver goes with us */
	receiver_kill(&L->rx, RECEIVER_REAP_MS);
	records_log_drops(&L->rec);
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
	receiver_close(&L->rx);
	records_free(&L->rec);
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
	if (L->exit_code != 0 || L->rx_done)
		return 1;
	if (!L->draining) {
		L->draining = 1;
		/* the service manager sees the stop begin, not only its end */
		(void)status_update(L, "STOPPING=1\n");
		records_drain_asked(&L->rec);
		L->drain_deadline = mono_ns() + DRAIN_NS + DRAIN_GRACE_NS;
		L->drain_stalled_base = L->st.stdout_blocked_ns;
		if (receiver_drain(&L->rx) != 0)
			receiver_failed(L, "channel_closed", "the drain could not "
			    "be asked for");
	}
	return L->exit_code != 0;
}

/*
 * The receiver's deadlines. The drain: its bound and a second, plus the
 * time our own stdout kept us from reading (the receiver waits on us then,
 * not we on it). The exit after the channel's end. Past either it is
 * killed and reported. Returns the next deadline, 0 for none.
 */
static uint64_t
receiver_timers(struct loop *L, uint64_t now)
{
	uint64_t d = 0;

	if (L->exit_code != 0 || L->rx.reaped)
		return 0;
	if (L->chan_ended) {
		if (now < L->exit_deadline)
			return L->exit_deadline;
		receiver_failed(L, "channel_closed", L->rec.have ? "the channel "
		    "closed inside a record" : "the channel closed while the "
		    "receiver was running");
		return 0;
	}
	if (L->draining) {
		d = L->drain_deadline + (L->st.stdout_blocked_ns -
		    L->drain_stalled_base);
		if (now >= d) {
			receiver_failed(L, "drain_timeout", "the drain was not "
			    "complete within its deadline");
			return 0;
		}
	}
	return d;
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

		now = mono_ns();
		deadline = receiver_timers(&L, now);
		if (!L.draining)
			deadline = earliest(deadline, run_timers(&L, now));
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
