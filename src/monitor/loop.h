/*
 * loop.h - the daemon's one poll() loop.
 */
#ifndef LOOP_H
#define LOOP_H

#include "config.h"

/*
 * Bind, announce readiness, and run until SIGTERM/SIGINT or a fatal error.
 * Startup errors exit at once with their code (die); after readiness every
 * way out goes through one finish: stopped (while stdout works), probes
 * closed, socket unlinked. Returns the exit code for main.
 */
int loop_run(struct config *cfg);

#endif
