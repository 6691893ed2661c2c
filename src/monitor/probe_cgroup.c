/*
 * probe_cgroup.c - host.cgroup: the cell's cgroup v2 memory.events,
 * cpu.stat and pids.events as {file: {key: value}}. A missing file is
 * null in the reading; the probe fails only when none can be read.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "probe.h"
#include "util.h"

static const char *const files[] = { "memory.events", "cpu.stat", "pids.events" };

static void
cgroup_due(struct probe *p, uint64_t now)
{
	json_t *inputs = json_object(), *paths = json_array(), *out = json_object();
	char path[4096], text[8192], err[256] = "";
	size_t i, ok = 0;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		json_t *kv = NULL;

		snprintf(path, sizeof(path), "%s/%s", p->cfg->cgroup_dir, files[i]);
		json_array_append_new(paths, json_string(path));
		if (probe_read_file(path, text, sizeof(text)) != 0) {
			if (!err[0])
				snprintf(err, sizeof(err), "%s: %s", files[i],
				    strerror(errno));
		} else if ((kv = probe_parse_kv(text)) == NULL) {
			if (!err[0])
				snprintf(err, sizeof(err), "%s: no \"key value\" "
				    "lines", files[i]);
		} else {
			ok++;
		}
		json_object_set_new(out, files[i], kv ? kv : json_null());
	}
	json_object_set_new(inputs, "cgroup", json_string(p->cfg->cgroup_dir));
	json_object_set_new(inputs, "paths", paths);
	if (ok == 0) {
		json_decref(out);
		probe_report(p, inputs, NULL, err);
	} else {
		probe_report(p, inputs, out, NULL);
	}
	p->next_ns = probe_next(p, now);
}

static int
cgroup_wanted(const struct probe_config *c)
{
	return c->cgroup_dir != NULL;
}

const struct probe_ops probe_cgroup_ops = {
	.name = "cgroup",
	.source = "host.cgroup",
	.wanted = cgroup_wanted,
	.open = NULL,
	.due = cgroup_due,
	.ready = NULL,
	.close = NULL,
};
