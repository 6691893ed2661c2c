/*
 * probe.c - what the host probes share (see include/probe.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jcs.h"
#include "probe.h"
#include "stats.h"
#include "utf8.h"

/* In the order their readings are due after readiness. */
static const struct probe_ops *const probe_table[] = {
	&probe_cgroup_ops, &probe_fc_ops, &probe_tap_ops, &probe_nft_ops,
};

int
probe_open_all(const struct probe_config *cfg, struct probe *probes,
    probe_sink sink, void *ctx, uint64_t now)
{
	size_t i;
	int n = 0;

	for (i = 0; i < sizeof(probe_table) / sizeof(probe_table[0]); i++) {
		struct probe *p = &probes[n];

		if (!probe_table[i]->wanted(cfg))
			continue;
		memset(p, 0, sizeof(*p));
		p->ops = probe_table[i];
		p->cfg = cfg;
		p->fd = -1;
		p->sink = sink;
		p->sink_ctx = ctx;
		p->next_ns = now;
		if (p->ops->open != NULL)
			p->ops->open(p);
		n++;
	}
	return n;
}

void
probe_close_all(struct probe *probes, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (probes[i].ops->close != NULL)
			probes[i].ops->close(&probes[i]);
}

uint64_t
probe_next(const struct probe *p, uint64_t from)
{
	return from + p->cfg->interval_ms * 1000000ull;
}

void
probe_report(struct probe *p, json_t *inputs, json_t *output, const char *error)
{
	if (output == NULL) {
		if (p->failing && !p->every_error) {
			json_decref(inputs);
			return;
		}
		p->failing = 1;
		p->sink(p->sink_ctx, p, inputs, NULL, error);
		return;
	}
	if (p->failing) {
		/* the one report of recovery rides on the first good reading */
		p->failing = 0;
		if (json_is_object(inputs))
			json_object_set_new(inputs, "recovered", json_true());
	}
	p->sink(p->sink_ctx, p, inputs, output, NULL);
}

json_t *
probe_parse_kv(const char *text)
{
	json_t *o = json_object();
	const char *line = text;

	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char key[128], *end;
		unsigned long long v;
		const char *sp = memchr(line, ' ', len);

		/* strtoull would take "-1" as 2^64-1: digits only */
		if (sp != NULL && (size_t)(sp - line) < sizeof(key) && sp > line &&
		    sp[1] >= '0' && sp[1] <= '9') {
			memcpy(key, line, (size_t)(sp - line));
			key[sp - line] = '\0';
			errno = 0;
			v = strtoull(sp + 1, &end, 10);
			if (errno == 0 && end == line + len && end > sp + 1 &&
			    utf8_valid((const uint8_t *)key, strlen(key)))
				json_object_set_new(o, key, jcs_u64(v));
		}
		line += len + (nl ? 1 : 0);
	}
	if (json_object_size(o) == 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
probe_read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t n;
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < cap - 1 && (n = read(fd, buf + off, cap - 1 - off)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	return 0;
}
