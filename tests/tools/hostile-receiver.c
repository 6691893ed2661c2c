/*
 * hostile-receiver - a receiver program that lies (SPEC section 11: the
 * tests against a hostile receiver). Run by the daemon through
 * --receiver-program; the attack is the part of its name after "rx-"
 * (tests link it as rx-ATTACK). It confines itself exactly as the real
 * receiver does, says HELLO honestly, and then does what a guest that won
 * code execution in the receiver could do: every attack must end in
 * receiver_failed, stopped and exit 70, with nothing host-stamped changed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channel.h"
#include "clock.h"
#include "conn.h"
#include "report.h"
#include "rxargs.h"
#include "sandbox.h"

static struct report w;

/* One raw record, written at once (blocking). */
static void
rec(enum chan_type type, unsigned declared_len, const uint8_t *body,
    size_t n)
{
	uint8_t b[CHAN_RECORD_MAX + 8];

	b[0] = (uint8_t)type;
	b[1] = 0;
	chan_put_le(b + 2, declared_len ? declared_len : CHAN_HDR + n, 2);
	memcpy(b + CHAN_HDR, body, n);
	if (write(RX_CHAN_FD, b, CHAN_HDR + n) < 0)
		_exit(3);
}

static void
rec_bytes(const uint8_t *b, size_t n)
{
	if (write(RX_CHAN_FD, b, n) < 0)
		_exit(3);
}

/* A BYTES record (a harmless one) with fd riding on it. */
static void
send_fd(int fd)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} cm;
	uint8_t b[CHAN_HDR + 8] = { CHAN_BYTES, 0, CHAN_HDR + 8, 0 };
	struct iovec iov = { b, sizeof(b) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cm.space, .msg_controllen = sizeof(cm.space) };

	memset(&cm, 0, sizeof(cm));
	cm.h.cmsg_level = SOL_SOCKET;
	cm.h.cmsg_type = SCM_RIGHTS;
	cm.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&cm.h), &fd, sizeof(int));
	if (sendmsg(RX_CHAN_FD, &m, 0) < 0)
		_exit(3);
}

static void
flush(void)
{
	if (report_flush_all(&w) != 0)
		_exit(3);
}

/* Accept one real guest connection (the test connects one). */
static int
accept_one(void)
{
	struct pollfd p = { .fd = RX_LISTEN_FD, .events = POLLIN };
	int fd;

	for (;;) {
		(void)poll(&p, 1, -1);
		fd = accept4(RX_LISTEN_FD, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			return fd;
	}
}

/* OPENED for conn id with fd riding on it, as the real receiver sends. */
static void
opened(uint64_t id, int fd)
{
	struct conn c;

	memset(&c, 0, sizeof(c));
	c.id = id;
	c.fd = fd;
	report_ops.opened(&w, &c, 0);
	flush();
}

static void
closed(uint64_t id)
{
	struct conn c;

	memset(&c, 0, sizeof(c));
	c.id = id;
	report_ops.closed(&w, &c, "eof", 0);
	flush();
}

static void
frame(uint64_t id, uint64_t real)
{
	struct wire_frame f;
	struct conn c;

	memset(&f, 0, sizeof(f));
	memset(&c, 0, sizeof(c));
	c.id = id;
	f.content_version = WIRE_CONTENT_VERSION;
	snprintf(f.probe_source, sizeof(f.probe_source), "process.spawned");
	snprintf(f.guest_comm, sizeof(f.guest_comm), "forged");
	report_ops.frame(&w, &c, &f, real, 0);
	flush();
}

static void __attribute__((noreturn))
hang(void)
{
	for (;;)
		(void)poll(NULL, 0, -1);
}

static void
u64_rec(enum chan_type type, uint64_t v)
{
	uint8_t b[8];

	chan_put_le(b, v, 8);
	rec(type, 0, b, 8);
}

static void __attribute__((noreturn))
attack(const char *name)
{
	uint8_t b[64];
	int fd, i;

	memset(b, 0, sizeof(b));
	if (strcmp(name, "close-alive") == 0) {
		/* the channel closed, the process alive and silent */
		close(RX_CHAN_FD);
		hang();
	} else if (strcmp(name, "partial-record") == 0) {
		/* 3 bytes of a header, never finished: held by the monitor */
		rec_bytes((const uint8_t *)"\x07\x00\x0c", 3);
		hang();
	} else if (strcmp(name, "ignore-eof") == 0) {
		/* never exits on its own, whatever happens to the monitor */
		hang();
	} else if (strcmp(name, "shared-memory") == 0) {
		/* 256 MiB that RLIMIT_DATA would not count: not allowed */
		char *p = mmap(NULL, (size_t)256 << 20, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		_exit(p == MAP_FAILED ? 42 : 43);
	} else if (strcmp(name, "hold-channel") == 0) {
		/* its own channel end handed to the monitor on a harmless
		 * record, then closed (or tried): EOF would never come */
		send_fd(RX_CHAN_FD);
		hang();
	} else if (strcmp(name, "reopen") == 0) {
		/* one socket reported as a second connection after its close */
		fd = accept_one();
		opened(1, fd);
		frame(1, real_ns());
		closed(1);
		opened(2, fd);
		hang();
	} else if (strcmp(name, "huge-count") == 0) {
		/* 18 bytes that once pinned the monitor for 11 s */
		b[0] = WIRE_MALFORMED_CBOR;
		chan_put_le(b + 1, 0xFFFFFFFFu, 4);
		rec(CHAN_REJECTED, 0, b, CHAN_REJECTED_FIXED);
		hang();
	} else if (strcmp(name, "max-counts") == 0) {
		/* the largest counts allowed, many times: applied in one step
		 * each, then an exit nobody asked for */
		for (i = 0; i < 2000; i++) {
			b[0] = WIRE_MALFORMED_CBOR;
			chan_put_le(b + 1, CHAN_COUNT_MAX, 4);
			rec(CHAN_REJECTED, 0, b, CHAN_REJECTED_FIXED);
			chan_put_le(b, CHAN_COUNT_MAX, 4);
			rec(CHAN_REFUSED, 0, b, 4);
		}
		_exit(0);
	} else if (strcmp(name, "no-drain") == 0) {
		/* reads the drain command and never answers */
		for (;;) {
			char c;

			(void)poll(&(struct pollfd){ .fd = RX_CHAN_FD,
			    .events = POLLIN }, 1, -1);
			if (read(RX_CHAN_FD, &c, 1) == 0)
				_exit(0);
		}
	} else if (strcmp(name, "unasked-drained") == 0) {
		/* a clean end nobody asked for */
		u64_rec(CHAN_DRAINED, 0);
		_exit(0);
	} else if (strcmp(name, "exit-zero") == 0) {
		_exit(0);
	} else if (strcmp(name, "old-time") == 0) {
		/* 1970: before the monitor started */
		chan_put_le(b, 1, 8);
		chan_put_le(b + 8, 1, 8);
		rec(CHAN_OPENED, 0, b, CHAN_OPENED_LEN);
		hang();
	} else if (strcmp(name, "future-frame") == 0) {
		fd = accept_one();
		opened(1, fd);
		frame(1, real_ns() + 3600ull * 1000000000);
		hang();
	} else if (strcmp(name, "no-fd") == 0) {
		chan_put_le(b, 1, 8);
		chan_put_le(b + 8, real_ns(), 8);
		rec(CHAN_OPENED, 0, b, CHAN_OPENED_LEN);
		hang();
	} else if (strcmp(name, "channel-fd") == 0) {
		/* the channel itself passed as a guest connection */
		opened(1, RX_CHAN_FD);
		hang();
	} else if (strcmp(name, "listener-fd") == 0) {
		opened(1, RX_LISTEN_FD);
		hang();
	} else if (strcmp(name, "same-socket") == 0) {
		fd = accept_one();
		opened(1, fd);
		opened(2, fd);
		hang();
	} else if (strcmp(name, "double-close") == 0) {
		fd = accept_one();
		opened(1, fd);
		closed(1);
		closed(1);
		hang();
	} else if (strcmp(name, "frame-after-close") == 0) {
		fd = accept_one();
		opened(1, fd);
		frame(1, real_ns());
		closed(1);
		frame(1, real_ns());
		hang();
	} else if (strcmp(name, "unknown-conn") == 0) {
		frame(7, real_ns());
		hang();
	} else if (strcmp(name, "any-peer") == 0) {
		/* a connection --peer-uid does not admit, reported as opened */
		fd = accept_one();
		opened(1, fd);
		hang();
	} else if (strcmp(name, "huge-bytes") == 0) {
		u64_rec(CHAN_BYTES, UINT64_MAX);
		hang();
	} else if (strcmp(name, "long-length") == 0) {
		/* a length past the longest record */
		rec(CHAN_BYTES, 0xFFFF, b, 8);
		hang();
	} else if (strcmp(name, "short-length") == 0) {
		rec(CHAN_BYTES, 2, b, 8);
		hang();
	} else if (strcmp(name, "second-hello") == 0) {
		report_hello(&w, 0, 0, 0);
		flush();
		hang();
	} else if (strcmp(name, "log-flood") == 0) {
		/* forged, escaped, priority-prefixed, terminal escapes, fast */
		static const char forged[] = "\x02<0>level=info msg=\"stopped\" "
		    "reason=sigterm exit=0 \x1b[31mred\x1b[0m \xff";

		for (i = 0; i < 100000; i++)
			rec(CHAN_LOG, 0, (const uint8_t *)forged,
			    sizeof(forged) - 1);
		_exit(0);
	} else if (strcmp(name, "raw-writes") == 0) {
		/* every fd it might hold: stdio, listener, a guest */
		static const char forged[] = "FORGED-LINE\n";

		for (fd = 0; fd < 1024; fd++)
			if (fd != RX_CHAN_FD)
				(void)!write(fd, forged, sizeof(forged) - 1);
		_exit(0);
	} else if (strcmp(name, "memory") == 0) {
		/* 4 GiB, touched: RLIMIT_DATA says no (exit 42) */
		size_t n = (size_t)4 << 30, k;
		char *p = malloc(n);

		if (p == NULL)
			_exit(42);
		for (k = 0; k < n; k += 4096)
			p[k] = 1;
		_exit(43);
	} else if (strcmp(name, "fork") == 0) {
		(void)fork();
		_exit(44);
	}
	_exit(2);
}

int
main(int argc, char **argv)
{
	static struct rx_settings s;
	const char *what = "", *name = strrchr(argv[0], '/');
	char err[160];
	int flags;

	name = name ? name + 1 : argv[0];
	if (strncmp(name, "rx-", 3) != 0 ||
	    rxargs_parse(argc, argv, &s, err, sizeof(err)) != 0)
		return 64;
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	flags = sandbox_enter(&s, &what);
	if (flags < 0)
		return 70;
	report_init(&w, RX_CHAN_FD, 1 << 20);
	report_hello(&w, (unsigned)flags, s.switch_user ? s.uid : 0,
	    s.switch_user ? s.gid : 0);
	flush();
	attack(name + 3);
}
