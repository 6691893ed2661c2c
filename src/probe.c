/*
 * probe.c - what the host probes share (see include/probe.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jcs.h"
#include "probe.h"
#include "stats.h"

int
probe_open_all(const struct config *cfg, struct probe *probes, probe_sink sink,
    void *ctx, uint64_t now)
{
	void (*init[PROBE_MAX])(struct probe *);
	int n = 0, i;

	if (cfg->cgroup_dir)
		init[n++] = probe_cgroup_init;
	if (cfg->fc_metrics)
		init[n++] = probe_fc_init;
	if (cfg->tap_ifname)
		init[n++] = probe_tap_init;
	if (cfg->nft_table)
		init[n++] = probe_nft_init;
	for (i = 0; i < n; i++) {
		memset(&probes[i], 0, sizeof(probes[i]));
		probes[i].cfg = cfg;
		probes[i].fd = -1;
		probes[i].sink = sink;
		probes[i].sink_ctx = ctx;
		probes[i].next_ns = now;
		init[i](&probes[i]);
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
	return from + p->cfg->probe_interval_ms * 1000000ull;
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

static json_t *
safe_scalar(json_t *v)
{
	char s[40];

	if (json_is_real(v)) {
		double d = json_real_value(v);
		int prec;

		/* the shortest text that reads back as the same double */
		for (prec = 15; prec <= 17; prec++) {
			snprintf(s, sizeof(s), "%.*g", prec, d);
			if (strtod(s, NULL) == d)
				break;
		}
		return json_string(s);
	}
	if (json_is_integer(v)) {
		json_int_t x = json_integer_value(v);

		if (x > JCS_MAX_SAFE_INT || x < -JCS_MAX_SAFE_INT) {
			snprintf(s, sizeof(s), "%lld", (long long)x);
			return json_string(s);
		}
	}
	return NULL;
}

void
probe_json_safe(json_t *v)
{
	size_t i;
	const char *k;
	json_t *m, *r;

	if (json_is_object(v)) {
		json_object_foreach(v, k, m) {
			if ((r = safe_scalar(m)) != NULL)
				json_object_set_new(v, k, r);
			else
				probe_json_safe(m);
		}
	} else if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			m = json_array_get(v, i);
			if ((r = safe_scalar(m)) != NULL)
				json_array_set_new(v, i, r);
			else
				probe_json_safe(m);
		}
	}
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
				json_object_set_new(o, key, stats_u64(v));
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
