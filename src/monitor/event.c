/*
 * event.c - CloudEvent lines (see include/event.h).
 *
 * Envelope members in canonical order:
 *   data, datacontenttype, id, sequence, [sig, sigalg, sigkid,] source,
 *   specversion, streamid, time, type
 * The constant parts are rendered once at start; a guest event's data is
 * written directly in sorted key order, so the hot path builds no JSON tree.
 */
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "clock.h"
#include "encode.h"
#include "event.h"
#include "chain.h"
#include "jcs.h"
#include "sign.h"

int
event_id_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > EVENT_ID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
		    c == '-'))
			return 0;
	}
	return 1;
}

int
event_spec_hash_ok(const char *s)
{
	size_t i;

	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + 64)
		return 0;
	for (i = 7; i < 7 + 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* The envelope after the data: sigalg and sigkid of the key, source,
 * specversion, streamid. Rendered at start and when the key changes. */
static void
render_env_tail(struct event_ctx *e)
{
	e->env_tail.len = 0;
	if (e->key != NULL) {
		const char *alg = keys_alg_name(e->key->alg);

		buf_adds(&e->env_tail, ",\"sigalg\":");
		jcs_string(&e->env_tail, alg, strlen(alg));
		buf_adds(&e->env_tail, ",\"sigkid\":");
		jcs_string(&e->env_tail, e->key->kid, strlen(e->key->kid));
	}
	buf_adds(&e->env_tail, ",\"source\":\"urn:cellos:cell:");
	buf_adds(&e->env_tail, e->cell_id);
	buf_adds(&e->env_tail, "\",\"specversion\":\"1.0\",\"streamid\":\"");
	buf_adds(&e->env_tail, e->streamid);
	buf_adds(&e->env_tail, "\"");
}

void
event_key_changed(struct event_ctx *e)
{
	render_env_tail(e);
}

void
event_init(struct event_ctx *e, const char *cell_id, const char *run_id,
    const char *spec_hash, const struct key *key, const char *fixed_streamid)
{
	unsigned char rnd[16];

	memset(e, 0, sizeof(*e));
	snprintf(e->cell_id, sizeof(e->cell_id), "%s", cell_id);
	snprintf(e->run_id, sizeof(e->run_id), "%s", run_id);
	snprintf(e->spec_hash, sizeof(e->spec_hash), "%s", spec_hash ? spec_hash : "");
	if (fixed_streamid != NULL) {
		snprintf(e->streamid, sizeof(e->streamid), "%s", fixed_streamid);
	} else {
		randombytes_buf(rnd, sizeof(rnd));
		hex_encode(rnd, sizeof(rnd), e->streamid);
	}
	e->streamid_len = strlen(e->streamid);
	e->key = key != NULL && (key->alg == ALG_ED25519 || key->alg == ALG_HMAC) ?
	    key : NULL;

	/* IDs are checked to be [A-Za-z0-9._:-] so they need no escaping,
	 * but go through the one string writer all the same */
	buf_init(&e->attr_head, 256, 1024);
	buf_adds(&e->attr_head, "\"cell_id\":");
	jcs_string(&e->attr_head, e->cell_id, strlen(e->cell_id));

	buf_init(&e->attr_tail, 256, 1024);
	buf_adds(&e->attr_tail, "\"run_id\":");
	jcs_string(&e->attr_tail, e->run_id, strlen(e->run_id));
	buf_adds(&e->attr_tail, ",\"spec_signature_hash\":");
	if (e->spec_hash[0])
		jcs_string(&e->attr_tail, e->spec_hash, strlen(e->spec_hash));
	else
		buf_adds(&e->attr_tail, "null");

	buf_init(&e->env_tail, 512, 2048);
	render_env_tail(e);

	buf_init(&e->msg, 4096, 1 << 24);
	buf_init(&e->sealed, 256, 1 << 24);
}

void
event_chain_mode(struct event_ctx *e)
{
	e->chain_mode = 1;
	memset(e->chain, 0, sizeof(e->chain));
	e->unsealed = 0;
}

void
event_free(struct event_ctx *e)
{
	buf_free(&e->attr_head);
	buf_free(&e->attr_tail);
	buf_free(&e->env_tail);
	buf_free(&e->msg);
	buf_free(&e->sealed);
}

/* Append v in decimal. */
static int
add_u64(struct buf *b, uint64_t v)
{
	char num[20], *p = num + sizeof(num);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return buf_add(b, p, (size_t)(num + sizeof(num) - p));
}

/* The line size rule and the commit, shared by both modes. */
static int
line_done(struct event_ctx *e, int rc, size_t mark, struct buf *out)
{
	if (rc == 0 && out->len - mark > EVENT_LINE_MAX) {
		out->len = mark;        /* the sequence number is not used */
		return EVENT_TOO_LONG;
	}
	if (rc != 0) {
		out->len = mark;        /* never a partial line */
		return -1;
	}
	e->seq++;
	return 0;
}

/*
 * Chain mode: e->msg is C_n, the event without chain and sig. The line is
 * {"chain":..., then C_n's members, with "sig" spliced in before "sigalg"
 * on seal lines, signed over {"chain":..., C_n's members}.
 */
static int
finish_chained(struct event_ctx *e, const char *type, size_t head_len,
    size_t mark, struct buf *out)
{
	unsigned char next[CHAIN_BYTES];
	char chain[CHAIN_TEXT + 1], sig[SIGN_MAX_TEXT + 1];
	int rc = 0, seal = chain_is_seal(type);

	chain_next(e->chain, e->msg.p, e->msg.len, next);
	b64url_encode_public(next, sizeof(next), chain);
	rc |= buf_adds(out, "{\"chain\":\"");
	rc |= buf_adds(out, chain);
	rc |= buf_adds(out, "\",");
	if (seal) {
		e->sealed.len = 0;
		rc |= buf_add(&e->sealed, out->p + mark, out->len - mark);
		rc |= buf_add(&e->sealed, e->msg.p + 1, e->msg.len - 1);
		if (rc != 0)
			return line_done(e, rc, mark, out);
		sign_text(e->key, (const uint8_t *)e->sealed.p, e->sealed.len, sig);
	}
	rc |= buf_add(out, e->msg.p + 1, head_len - 1);
	if (seal) {
		rc |= buf_adds(out, ",\"sig\":\"");
		rc |= buf_adds(out, sig);
		rc |= buf_addc(out, '"');
	}
	rc |= buf_add(out, e->msg.p + head_len, e->msg.len - head_len);
	rc |= buf_addc(out, '\n');
	rc = line_done(e, rc, mark, out);
	if (rc == 0) {
		memcpy(e->chain, next, sizeof(next));
		e->unsealed = seal ? 0 : e->unsealed + 1;
	}
	return rc;
}

/* Start e->msg, the event without sig (and chain): the data object is
 * written into it directly, then finish() adds the envelope. */
static int
msg_begin(struct event_ctx *e)
{
	e->msg.len = 0;
	return buf_adds(&e->msg, "{\"data\":");
}

/* Complete e->msg after its data and append the line to out; ts is the
 * event's time as RFC 3339. */
static int
finish(struct event_ctx *e, const char *type, size_t type_len,
    const char ts[30], struct buf *out)
{
	char seq[20], sig[SIGN_MAX_TEXT + 1];
	uint64_t n = e->seq + 1, v;
	size_t head_len, mark = out->len;
	int i, rc = 0;

	for (v = n, i = 19; i >= 0; i--, v /= 10)
		seq[i] = (char)('0' + v % 10);
	rc |= buf_adds(&e->msg, ",\"datacontenttype\":\"application/json\",\"id\":\"");
	rc |= buf_add(&e->msg, e->streamid, e->streamid_len);
	rc |= buf_addc(&e->msg, '-');
	rc |= add_u64(&e->msg, n);
	rc |= buf_adds(&e->msg, "\",\"sequence\":\"");
	rc |= buf_add(&e->msg, seq, 20);
	rc |= buf_addc(&e->msg, '"');
	head_len = e->msg.len;
	rc |= buf_add(&e->msg, e->env_tail.p, e->env_tail.len);
	rc |= buf_adds(&e->msg, ",\"time\":\"");
	rc |= buf_add(&e->msg, ts, 30);
	rc |= buf_adds(&e->msg, "\",\"type\":");
	rc |= jcs_string(&e->msg, type, type_len);
	rc |= buf_addc(&e->msg, '}');
	if (rc != 0)
		return -1;

	if (e->chain_mode)
		return finish_chained(e, type, head_len, mark, out);
	rc |= buf_add(out, e->msg.p, head_len);
	if (e->key != NULL) {
		sign_text(e->key, (const uint8_t *)e->msg.p, e->msg.len, sig);
		rc |= buf_adds(out, ",\"sig\":\"");
		rc |= buf_adds(out, sig);
		rc |= buf_addc(out, '"');
	}
	rc |= buf_add(out, e->msg.p + head_len, e->msg.len - head_len);
	rc |= buf_addc(out, '\n');
	return line_done(e, rc, mark, out);
}

int
event_guest(struct event_ctx *e, const struct wire_frame *f,
    uint64_t recv_real_ns, uint64_t connection, struct buf *out)
{
	char ts[31], type[sizeof(EVENT_TYPE_GUEST) + WIRE_MAX_TEXT];
	size_t sl = strlen(f->probe_source), tl = sizeof(EVENT_TYPE_GUEST) - 1;
	struct buf *d = &e->msg;
	int rc = 0;

	rfc3339_ns(recv_real_ns, ts);
	rc |= msg_begin(e);
	/* sorted: cell_id connection content_version guest_comm
	 * guest_monotonic_ns guest_pid host_received_at probe_source run_id
	 * spec_signature_hash */
	rc |= buf_addc(d, '{');
	rc |= buf_add(d, e->attr_head.p, e->attr_head.len);
	rc |= buf_adds(d, ",\"connection\":");
	rc |= add_u64(d, connection);
	rc |= buf_adds(d, ",\"content_version\":");
	rc |= add_u64(d, f->content_version);
	rc |= buf_adds(d, ",\"guest_comm\":");
	rc |= jcs_string(d, f->guest_comm, strlen(f->guest_comm));
	/* a string: 64-bit values lose precision in jq and JavaScript */
	rc |= buf_adds(d, ",\"guest_monotonic_ns\":\"");
	rc |= add_u64(d, f->guest_monotonic_ns);
	rc |= buf_adds(d, "\",\"guest_pid\":");
	rc |= add_u64(d, f->guest_pid);
	rc |= buf_adds(d, ",\"host_received_at\":\"");
	rc |= buf_add(d, ts, 30);
	rc |= buf_adds(d, "\",\"probe_source\":");
	rc |= jcs_string(d, f->probe_source, sl);
	rc |= buf_addc(d, ',');
	rc |= buf_add(d, e->attr_tail.p, e->attr_tail.len);
	rc |= buf_addc(d, '}');
	if (rc != 0)
		return -1;
	/* the type per frame, without printf's cost */
	memcpy(type, EVENT_TYPE_GUEST, tl);
	memcpy(type + tl, f->probe_source, sl + 1);   /* with its NUL */
	return finish(e, type, tl + sl, ts, out);
}

int
event_json(struct event_ctx *e, const char *type, uint64_t time_real_ns,
    json_t *obj, struct buf *out)
{
	char ts[31];

	json_object_set_new(obj, "cell_id", json_string(e->cell_id));
	json_object_set_new(obj, "run_id", json_string(e->run_id));
	json_object_set_new(obj, "spec_signature_hash", e->spec_hash[0] ?
	    json_string(e->spec_hash) : json_null());
	rfc3339_ns(time_real_ns, ts);
	if (msg_begin(e) != 0 || jcs_value(&e->msg, obj) != 0)
		return -1;
	return finish(e, type, strlen(type), ts, out);
}
