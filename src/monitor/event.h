/*
 * event.h - CloudEvents 1.0 assembly (SPEC section 5): the envelope, the
 * stream identity and sequence, host attribution, and signing. Each line is
 * the RFC 8785 canonical form of the event; the signed bytes are the same
 * form without "sig", which sorts before "sigalg" so it can be spliced in.
 */
#ifndef EVENT_H
#define EVENT_H

#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "event_types.h"
#include "keys.h"
#include "util.h"
#include "wire.h"

#define EVENT_ID_MAX 128
/* The longest line written, newline included: below journald's 48 KiB
 * line split, and far above any guest or host event (under 2 KiB); only a
 * host probe reading can come near it (SPEC section 14). */
#define EVENT_LINE_MAX ((size_t)32 * 1024)
#define EVENT_TOO_LONG (-2)     /* a line over EVENT_LINE_MAX */
struct event_ctx {
	char cell_id[EVENT_ID_MAX + 1];
	char run_id[EVENT_ID_MAX + 1];
	char spec_hash[80];             /* "" when not given: null */
	char streamid[33];
	size_t streamid_len;
	uint64_t seq;                   /* of the last event written */
	const struct key *key;          /* NULL: unsigned */
	struct buf attr_head;           /* "cell_id":"C" */
	struct buf attr_tail;           /* "run_id":"R","spec_signature_hash":X */
	struct buf env_tail;            /* ,"sigalg".. "source".. "streamid":".." */
	struct buf msg;                 /* scratch: the signed bytes */
	/* sealed chain signing (SPEC section 12) */
	int chain_mode;
	unsigned char chain[32];        /* of the last line written */
	uint64_t unsealed;              /* lines since the last seal */
	struct buf sealed;              /* scratch: a seal's signed bytes */
};

/* 1 when s is a valid --cell-id/--run-id: 1..128 of [A-Za-z0-9._:-]. */
int event_id_ok(const char *s);
/* 1 when s is "sha256:" + 64 lowercase hex. */
int event_spec_hash_ok(const char *s);

/* Set up; streamid is random unless fixed_streamid is given (tests). */
void event_init(struct event_ctx *e, const char *cell_id, const char *run_id,
    const char *spec_hash, const struct key *key, const char *fixed_streamid);
void event_free(struct event_ctx *e);
/* The key e signs with (the one given to event_init, by pointer) now holds
 * another key of the same algorithm: lines from now on carry its kid. */
void event_key_changed(struct event_ctx *e);

/* Chain mode from the next line on: every line carries "chain", only seal
 * lines (chain_is_seal) carry "sig". Needs a key. */
void event_chain_mode(struct event_ctx *e);

/* Append one guest event line (with '\n') to out. Returns 0 or -1. */
int event_guest(struct event_ctx *e, const struct wire_frame *f,
    uint64_t recv_real_ns, uint64_t connection, struct buf *out);

/* Append one line of type (full type string) whose data is obj plus the
 * attribution. obj is borrowed and gains cell_id/run_id/spec_signature_hash.
 * Returns 0, -1 when obj cannot be canonicalized, or EVENT_TOO_LONG when
 * the line would pass EVENT_LINE_MAX (in both cases nothing is written and
 * the sequence number is not consumed). */
int event_json(struct event_ctx *e, const char *type, uint64_t time_real_ns,
    json_t *obj, struct buf *out);

#endif
