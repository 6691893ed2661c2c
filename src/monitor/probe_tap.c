/*
 * probe_tap.c - host.tap_link: the cell's TAP device as the host sees it,
 * from <sysfs-root>/class/net/IF: carrier, operstate, flags, mtu and the
 * rx/tx byte, packet, error and drop counters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jcs.h"
#include "probe.h"
#include "stats.h"
#include "utf8.h"
#include "util.h"

static const char *const counters[] = {
	"rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
	"tx_bytes", "tx_packets", "tx_errors", "tx_dropped",
};

/* One sysfs attribute, trailing newline removed; NULL when unreadable
 * (carrier reads EINVAL while the link is down). */
static const char *
attr(const char *dir, const char *name, char *buf, size_t cap)
{
	char path[4096];
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (probe_read_file(path, buf, cap) != 0)
		return NULL;
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return utf8_valid((const uint8_t *)buf, n) ? buf : NULL;
}

static json_t *
num_or_null(const char *s)
{
	uint64_t v;

	if (s == NULL || parse_u64(s, 0, UINT64_MAX, &v) != 0)
		return json_null();
	return jcs_u64(v);
}

static void
tap_due(struct probe *p, uint64_t now)
{
	char dir[4096], buf[256], sdir[4200];
	json_t *inputs = json_object(), *out, *stats;
	const char *s;
	size_t i;

	snprintf(dir, sizeof(dir), "%s/class/net/%s", p->cfg->sysfs_root,
	    p->cfg->tap_ifname);
	json_object_set_new(inputs, "interface", json_string(p->cfg->tap_ifname));
	json_object_set_new(inputs, "path", json_string(dir));
	p->next_ns = probe_next(p, now);

	if ((s = attr(dir, "operstate", buf, sizeof(buf))) == NULL) {
		char err[512];

		snprintf(err, sizeof(err), "%.400s/operstate: %s", dir, strerror(errno));
		probe_report(p, inputs, NULL, err);
		return;
	}
	out = json_object();
	json_object_set_new(out, "operstate", json_string(s));
	json_object_set_new(out, "carrier", num_or_null(attr(dir, "carrier", buf, sizeof(buf))));
	s = attr(dir, "flags", buf, sizeof(buf));
	json_object_set_new(out, "flags", s ? json_string(s) : json_null());
	json_object_set_new(out, "mtu", num_or_null(attr(dir, "mtu", buf, sizeof(buf))));
	stats = json_object();
	snprintf(sdir, sizeof(sdir), "%s/statistics", dir);
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		json_object_set_new(stats, counters[i],
		    num_or_null(attr(sdir, counters[i], buf, sizeof(buf))));
	json_object_set_new(out, "statistics", stats);
	probe_report(p, inputs, out, NULL);
}

static int
tap_wanted(const struct probe_config *c)
{
	return c->tap_ifname != NULL;
}

const struct probe_ops probe_tap_ops = {
	.name = "tap_link",
	.source = "host.tap_link",
	.wanted = tap_wanted,
	.open = NULL,
	.due = tap_due,
	.ready = NULL,
	.close = NULL,
};
