/*
 * cellos-telemetryd-receiver - the guest-facing half of cellos-telemetryd
 * (SPEC section 11). Started only by the monitor (fork + exec, fds 0-2 on
 * /dev/null, the listener on 3, the channel on 4, the settings as words on
 * the command line); confines itself before the first guest byte, then
 * serves guests until the monitor asks for the drain or goes away.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "channel.h"
#include "report.h"
#include "rxargs.h"
#include "sandbox.h"
#include "serve.h"

/* Before HELLO the monitor is still waiting for us: a failure is one LOG
 * record and exit 70, which it reports as the receiver failing to start. */
static void __attribute__((noreturn))
fail(const char *fmt, const char *a, int e)
{
	static struct report w;
	char line[512];
	int n;

	n = snprintf(line, sizeof(line), "level=error msg=\"receiver could "
	    "not start\" step=\"%s\" error=\"%s\"", a, e ? strerror(e) : fmt);
	report_init(&w, RX_CHAN_FD, 4096);
	if (n > 0)
		report_log(&w, LOG_ERROR, line, (size_t)n < sizeof(line) ?
		    (size_t)n : sizeof(line) - 1);
	(void)report_flush_all(&w);
	_exit(70);
}

int
main(int argc, char **argv)
{
	static struct rx_settings s;
	const char *what = NULL;
	char err[160];
	uint32_t uid, gid;
	int flags, sig;

	/* nothing of ours for another process of our uid to ptrace, when
	 * there is no user switch to make us so */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* the monitor's fds, and nothing else (it closed the rest) */
	if (fcntl(RX_LISTEN_FD, F_GETFD) < 0 || fcntl(RX_CHAN_FD, F_GETFD) < 0) {
		fputs("cellos-telemetryd-receiver: started by cellos-telemetryd "
		    "only (it passes the listener and channel as fds 3 and 4)\n",
		    stderr);
		return 64;
	}
	if (rxargs_parse(argc, argv, &s, err, sizeof(err)) != 0)
		fail(err, "parsing the settings", 0);
	/* ps and /proc show which process of the cell this is */
	prctl(PR_SET_NAME, "telemetryd-rx", 0, 0, 0);
	/* end with the monitor: its death, or EOF on the channel */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != s.monitor)
		_exit(0);
	/* signals are the monitor's */
	for (sig = 1; sig < NSIG; sig++)
		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP ||
		    sig == SIGUSR1 || sig == SIGUSR2 || sig == SIGPIPE ||
		    sig == SIGXFSZ)
			signal(sig, SIG_IGN);
	if (fcntl(RX_CHAN_FD, F_SETFL, O_NONBLOCK) != 0)
		fail("", "the channel", errno);
	log_set_level(s.log_level);
	uid = s.switch_user ? (uint32_t)s.uid : (uint32_t)getuid();
	gid = s.switch_user ? (uint32_t)s.gid : (uint32_t)getgid();
	flags = sandbox_enter(&s, &what);
	if (flags < 0)
		fail("", what, errno);
	serve_guests(&s, (unsigned)flags, uid, gid);
}
