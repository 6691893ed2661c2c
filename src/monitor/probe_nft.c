/*
 * probe_nft.c - host.nftables: `nft -j list table inet NAME`, run as a
 * child every probe interval; its output is read through the poll loop and
 * it is killed after NFT_TIMEOUT. Rules that carry a counter become rows
 * {family, table, chain, handle, packets, bytes}.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jcs.h"
#include "buf.h"
#include "probe.h"
#include "stats.h"
#include "util.h"

#define NFT_TIMEOUT_NS (2000ull * 1000000ull)
#define NFT_OUTPUT_MAX (4u << 20)

extern char **environ;

struct nft_state {
	pid_t pid;              /* 0: not running */
	int out;                /* read end of the child's stdout */
	uint64_t started;
	struct buf text;
};

/* The one command line: run by nft_start, recorded in every reading. */
static void
nft_argv(const struct probe *p, const char *argv[7])
{
	argv[0] = p->cfg->nft_bin;
	argv[1] = "-j";
	argv[2] = "list";
	argv[3] = "table";
	argv[4] = "inet";
	argv[5] = p->cfg->nft_table;
	argv[6] = NULL;
}

static json_t *
nft_inputs(const struct probe *p)
{
	json_t *in = json_object(), *argv = json_array();
	const char *args[7];
	size_t i;

	nft_argv(p, args);
	for (i = 0; args[i] != NULL; i++)
		json_array_append_new(argv, json_string(args[i]));
	json_object_set_new(in, "command", argv);
	json_object_set_new(in, "table", json_string(p->cfg->nft_table));
	return in;
}

/* Back to idle: close the pipe, kill and reap a child still running. */
static void
nft_reset(struct probe *p)
{
	struct nft_state *s = p->state;

	if (s->out >= 0)
		close(s->out);
	s->out = -1;
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	s->pid = 0;
	p->fd = -1;
	p->next_ns = probe_next(p, s->started);
}

static void
set_or_null(json_t *o, const char *k, json_t *v)
{
	json_object_set_new(o, k, v ? json_incref(v) : json_null());
}

static json_t *
rows_from(json_t *doc, const char **why)
{
	json_t *list = json_object_get(doc, "nftables"), *rows, *item;
	size_t i, j;

	if (!json_is_array(list)) {
		*why = "nft output has no \"nftables\" array";
		return NULL;
	}
	rows = json_array();
	json_array_foreach(list, i, item) {
		json_t *rule = json_object_get(item, "rule"), *expr, *e;

		if (!json_is_object(rule))
			continue;
		expr = json_object_get(rule, "expr");
		json_array_foreach(expr, j, e) {
			json_t *c = json_object_get(e, "counter"), *row;

			if (!json_is_object(c))
				continue;
			row = json_object();
			set_or_null(row, "family", json_object_get(rule, "family"));
			set_or_null(row, "table", json_object_get(rule, "table"));
			set_or_null(row, "chain", json_object_get(rule, "chain"));
			set_or_null(row, "handle", json_object_get(rule, "handle"));
			set_or_null(row, "packets", json_object_get(c, "packets"));
			set_or_null(row, "bytes", json_object_get(c, "bytes"));
			json_array_append_new(rows, row);
			break;
		}
	}
	jcs_make_safe(rows);
	return rows;
}

/* The child exited with status after closing its output. */
static void
nft_complete(struct probe *p, int status)
{
	struct nft_state *s = p->state;
	json_error_t je;
	json_t *doc, *rows;
	const char *why = NULL;
	char err[256];

	s->pid = 0;
	nft_reset(p);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, sizeof(err), "%.200s exited with status %d",
		    p->cfg->nft_bin, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		probe_report(p, nft_inputs(p), NULL, err);
		return;
	}
	doc = json_loadb(s->text.p, s->text.len, 0, &je);
	if (doc == NULL) {
		snprintf(err, sizeof(err), "nft output is not JSON: %s", je.text);
		probe_report(p, nft_inputs(p), NULL, err);
		return;
	}
	rows = rows_from(doc, &why);
	json_decref(doc);
	if (rows == NULL)
		probe_report(p, nft_inputs(p), NULL, why);
	else
		probe_report(p, nft_inputs(p), rows, NULL);
}

/* After EOF: reap without waiting; 1 when the child was reaped. */
static int
nft_try_reap(struct probe *p)
{
	struct nft_state *s = p->state;
	int status;
	pid_t r = waitpid(s->pid, &status, WNOHANG);

	if (r == s->pid) {
		nft_complete(p, status);
		return 1;
	}
	return 0;
}

static void
nft_start(struct probe *p, uint64_t now)
{
	struct nft_state *s = p->state;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	const char *argv[7];
	int pipefd[2], rc;

	s->started = now;
	s->text.len = 0;
	buf_shrink(&s->text, 4096);
	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) != 0) {
		probe_report(p, nft_inputs(p), NULL, strerror(errno));
		p->next_ns = probe_next(p, now);
		return;
	}
	nft_argv(p, argv);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&attr);
	/* the child must not inherit our blocked signals or ignored SIGPIPE */
	sigemptyset(&none);
	sigfillset(&dfl);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	/* posix_spawn takes char *const[] for historical reasons; it does
	 * not write to the strings */
	rc = posix_spawnp(&s->pid, p->cfg->nft_bin, &fa, &attr,
	    (char *const *)(uintptr_t)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(pipefd[1]);
	if (rc != 0) {
		char err[256];

		close(pipefd[0]);
		s->pid = 0;
		snprintf(err, sizeof(err), "cannot run %.200s: %s",
		    p->cfg->nft_bin, strerror(rc));
		probe_report(p, nft_inputs(p), NULL, err);
		p->next_ns = probe_next(p, now);
		return;
	}
	s->out = pipefd[0];
	p->fd = s->out;
	p->events = POLLIN;
	p->next_ns = now + NFT_TIMEOUT_NS;
}

static void
nft_due(struct probe *p, uint64_t now)
{
	struct nft_state *s = p->state;
	char err[256];

	if (s->pid == 0) {
		nft_start(p, now);
		return;
	}
	if (s->out < 0 && nft_try_reap(p))
		return;
	if (now >= s->started + NFT_TIMEOUT_NS) {
		/* still running at its deadline: kill it, the loop goes on */
		nft_reset(p);
		snprintf(err, sizeof(err), "%.200s timed out after 2 s and was "
		    "killed", p->cfg->nft_bin);
		probe_report(p, nft_inputs(p), NULL, err);
		return;
	}
	/* output closed but not yet exited: look again shortly */
	p->next_ns = now + 5000000ull;
}

static void
nft_ready(struct probe *p, short revents, uint64_t now)
{
	struct nft_state *s = p->state;
	char chunk[16384];
	ssize_t n;

	(void)revents;
	for (;;) {
		n = read(s->out, chunk, sizeof(chunk));
		if (n > 0) {
			if (buf_add(&s->text, chunk, (size_t)n) != 0) {
				nft_reset(p);
				probe_report(p, nft_inputs(p), NULL,
				    "nft output larger than 4 MiB");
				return;
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	if (n == 0) {
		close(s->out);
		s->out = -1;
		p->fd = -1;
		if (!nft_try_reap(p))
			nft_due(p, now);
	}
}

static void
nft_close(struct probe *p)
{
	struct nft_state *s = p->state;

	if (s == NULL)
		return;
	nft_reset(p);
	buf_free(&s->text);
	free(s);
	p->state = NULL;
}

static void
nft_open(struct probe *p)
{
	struct nft_state *s = xmalloc(sizeof(*s));

	memset(s, 0, sizeof(*s));
	s->out = -1;
	buf_init(&s->text, 4096, NFT_OUTPUT_MAX);
	p->state = s;
}

static int
nft_wanted(const struct probe_config *c)
{
	return c->nft_table != NULL;
}

const struct probe_ops probe_nft_ops = {
	.name = "nftables",
	.source = "host.nftables",
	.wanted = nft_wanted,
	.open = nft_open,
	.due = nft_due,
	.ready = nft_ready,
	.close = nft_close,
};
