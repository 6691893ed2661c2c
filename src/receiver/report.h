/*
 * report.h - the receiver's side of the channel: what the intake reports
 * becomes records (channel.h), batched, and written to the monitor without
 * ever blocking the receiver's loop except in the drain.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "channel.h"
#include "conn.h"

/* Connections opened whose fd has not reached the monitor yet: while this
 * many wait, the receiver accepts nothing more. */
#define REPORT_FDS_MAX (2 * CONN_MAX)

/*
 * A batch of records on its way to the monitor. Rejections are merged per
 * reason until report_flush_rejections(), so a flood of tiny bad frames
 * costs one record per reason and batch, not one per frame. An OPENED
 * record's fd (a dup, so that a connection closed meanwhile cannot hand
 * over another socket that took its number) is sent with that record.
 */
struct report {
	int fd;                         /* the channel */
	int draining;                   /* 1: a full batch is written out */
	struct buf out;
	uint64_t rej_count[WIRE_REASON_COUNT];
	uint8_t rej_order[WIRE_REASON_COUNT];   /* reasons as they first came */
	int nrej_order;
	uint64_t rej_conn[WIRE_REASON_COUNT];
	char rej_detail[WIRE_REASON_COUNT][CHAN_DETAIL_MAX + 1];
	uint64_t refused;
	uint64_t bytes_total, bytes_sent;       /* bytes read, bytes reported */
	uint64_t last_real;             /* times sent never go back */
	uint64_t overflow;              /* records that did not fit: a bug */
	struct { int fd; size_t at; } fds[REPORT_FDS_MAX];  /* at: offset in out */
	int nfds;
	uint8_t rec[CHAN_RECORD_MAX];   /* the record being built */
	size_t rec_len;
};

void report_init(struct report *w, int chan_fd, size_t max);
/* The intake_ops that append to w (ctx is the report). */
extern const struct intake_ops report_ops;

/* Write what the channel takes now; keep the rest. -1: the monitor has
 * gone (the receiver exits). */
int report_flush(struct report *w);
/* Write the whole batch, waiting while the channel is full (the drain). */
int report_flush_all(struct report *w);
/* Move merged rejections, refusals and the byte count into the batch. */
void report_close_batch(struct report *w);
/* 1 while another connection may be accepted (its fd has room). */
int report_can_open(const struct report *w);

void report_hello(struct report *w, unsigned flags, uint32_t uid,
    uint32_t gid);
void report_drained(struct report *w);
void report_log(struct report *w, int level, const char *line, size_t n);

#endif
