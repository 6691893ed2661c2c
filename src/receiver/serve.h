/*
 * serve.h - the receiver program's loop (SPEC section 11): the listener and
 * the guest connections in, records to the monitor out, until the monitor
 * asks for the drain or goes away.
 */
#ifndef SERVE_H
#define SERVE_H

#include <stdint.h>

#include "rxargs.h"

/* Confined already: serve guests on RX_LISTEN_FD, report on RX_CHAN_FD.
 * flags (CHAN_CONF_*) and the uid and gid we run as go first, in HELLO.
 * Never returns. */
void serve_guests(const struct rx_settings *s, unsigned flags, uint32_t uid,
    uint32_t gid) __attribute__((noreturn));

#endif
