/*
 * verify_input.c - files, the chunk index and the per-stream merge (see
 * verify_input.h).
 */
#define _GNU_SOURCE             /* O_TMPFILE */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "verify_input.h"
#include "verify_line.h"

#define READ_BLOCK ((size_t)1 << 20)

void
verify_index_init(struct verify_index *ix, uint64_t part_i, uint64_t part_n,
    verify_bad_fn bad, void *ctx)
{
	memset(ix, 0, sizeof(*ix));
	ix->part_i = part_i;
	ix->part_n = part_n;
	ix->bad = bad;
	ix->bad_ctx = ctx;
	ix->hcap = 1024;
	ix->hash = xmalloc(ix->hcap * sizeof(*ix->hash));
	memset(ix->hash, 0, ix->hcap * sizeof(*ix->hash));
}

void
verify_index_free(struct verify_index *ix)
{
	size_t i;

	for (i = 0; i < ix->nfiles; i++) {
		if (ix->files[i].fd >= 0)
			close(ix->files[i].fd);
		free(ix->files[i].name);
	}
	free(ix->files);
	free(ix->chunks);
	free(ix->streams);
	free(ix->hash);
	free(ix->order);
	memset(ix, 0, sizeof(*ix));
}

uint64_t
verify_partition_of(const char *sid, uint64_t n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 16; i++)
		v = v << 4 | (uint64_t)(sid[i] <= '9' ? sid[i] - '0' :
		    sid[i] - 'a' + 10);
	return n ? v % n : 0;
}

int
verify_index_open(struct verify_index *ix, const char *path, char *err,
    size_t errlen)
{
	struct verify_file *f;
	int fd;

	if (strcmp(path, "-") == 0) {
		fd = dup(STDIN_FILENO);
		if (fd < 0) {
			snprintf(err, errlen, "cannot read stdin: %s",
			    strerror(errno));
			return EXIT_NOINPUT;
		}
	} else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return EXIT_NOINPUT;
	}
	ix->files = xrealloc(ix->files, (ix->nfiles + 1) * sizeof(*ix->files));
	f = &ix->files[ix->nfiles++];
	f->name = xmalloc(strlen(path) + 1);
	memcpy(f->name, path, strlen(path) + 1);
	f->fd = fd;
	return 0;
}

static uint64_t
sid_hash(const char *sid)
{
	uint64_t h = 1469598103934665603ull;
	int i;

	for (i = 0; i < 32; i++)
		h = (h ^ (unsigned char)sid[i]) * 1099511628211ull;
	return h;
}

static void
rehash(struct verify_index *ix)
{
	size_t i, cap = ix->hcap * 2;
	size_t *h = xmalloc(cap * sizeof(*h));

	memset(h, 0, cap * sizeof(*h));
	for (i = 0; i < ix->nstreams; i++) {
		size_t j = sid_hash(ix->streams[i].id) & (cap - 1);

		while (h[j] != 0)
			j = (j + 1) & (cap - 1);
		h[j] = i + 1;
	}
	free(ix->hash);
	ix->hash = h;
	ix->hcap = cap;
}

/* The stream's index, added when new. */
static size_t
stream_of(struct verify_index *ix, const char *sid)
{
	size_t j;

	if (2 * (ix->nstreams + 1) > ix->hcap)
		rehash(ix);
	j = sid_hash(sid) & (ix->hcap - 1);
	while (ix->hash[j] != 0) {
		if (memcmp(ix->streams[ix->hash[j] - 1].id, sid, 32) == 0)
			return ix->hash[j] - 1;
		j = (j + 1) & (ix->hcap - 1);
	}
	if (ix->nstreams == ix->capstreams) {
		ix->capstreams = ix->capstreams ? 2 * ix->capstreams : 64;
		ix->streams = xrealloc(ix->streams, ix->capstreams *
		    sizeof(*ix->streams));
	}
	memset(&ix->streams[ix->nstreams], 0, sizeof(ix->streams[0]));
	memcpy(ix->streams[ix->nstreams].id, sid, 33);
	ix->hash[j] = ++ix->nstreams;
	return ix->nstreams - 1;
}

/* One line of the first pass, at off in file f. */
static void
index_line(struct verify_index *ix, uint32_t f, uint64_t off,
    uint64_t lineno, const char *line, size_t n, int over, int nl,
    struct verify_chunk **open)
{
	char sid[33], why[200];
	uint64_t seq;
	size_t s;
	struct verify_chunk *c = *open;

	if (over) {
		snprintf(why, sizeof(why), "longer than %zu bytes (no "
		    "cellos-telemetryd line is); skipped", VERIFY_LINE_MAX);
	} else if (verify_line_locate(line, n, sid, &seq, why,
	    sizeof(why)) == 0) {
		if (ix->part_n && verify_partition_of(sid, ix->part_n) !=
		    ix->part_i) {
			ix->other++;
			*open = NULL;
			return;
		}
		ix->lines++;
		s = stream_of(ix, sid);
		if (c != NULL && c->stream == s && c->end == off &&
		    seq == c->last + 1) {
			c->last = seq;
			c->end = off + n + (nl ? 1 : 0);
			return;
		}
		if (ix->nchunks == ix->capchunks) {
			ix->capchunks = ix->capchunks ? 2 * ix->capchunks : 256;
			ix->chunks = xrealloc(ix->chunks, ix->capchunks *
			    sizeof(*ix->chunks));
		}
		c = &ix->chunks[ix->nchunks++];
		c->file = f;
		c->stream = (uint32_t)s;
		c->off = off;
		c->end = off + n + (nl ? 1 : 0);
		c->lineno = lineno;
		c->first = c->last = seq;
		*open = c;
		return;
	}
	/* a line no stream owns: reported once, by partition 0 */
	*open = NULL;
	if (ix->part_n && ix->part_i != 0)
		return;
	ix->lines++;
	ix->unowned++;
	ix->bad(ix->bad_ctx, ix->files[f].name, lineno, why);
}

static int
spool(int *fd, char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int t;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	t = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (t < 0) {
		snprintf(path, sizeof(path), "%s/cellos-verify.XXXXXX", dir);
		if ((t = mkstemp(path)) >= 0)
			unlink(path);
	}
	if (t < 0) {
		snprintf(err, errlen, "cannot create a temporary file in %s "
		    "to hold stdin: %s", dir, strerror(errno));
		return EXIT_OSERR;
	}
	*fd = t;
	return 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The first pass over one file. */
static int
index_file(struct verify_index *ix, uint32_t f, char *err, size_t errlen)
{
	struct verify_file *vf = &ix->files[f];
	char *line = xmalloc(VERIFY_LINE_MAX), *blk = xmalloc(READ_BLOCK);
	uint64_t base, lineno = 0, line_off = 0;
	size_t have = 0;
	int over = 0, pending = 0, rc = 0, copy = -1;
	struct verify_chunk *open = NULL;
	struct stat st;
	ssize_t n;

	/* stdin that is not a file is copied aside to be read again */
	if (fstat(vf->fd, &st) == 0 && S_ISREG(st.st_mode)) {
		off_t at = lseek(vf->fd, 0, SEEK_CUR);

		base = at > 0 ? (uint64_t)at : 0;
	} else {
		base = 0;
		if ((rc = spool(&copy, err, errlen)) != 0)
			goto out;
	}
	while ((n = read(vf->fd, blk, READ_BLOCK)) != 0) {
		size_t off = 0;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "reading %s: %s", vf->name,
			    strerror(errno));
			rc = EXIT_IOERR;
			goto out;
		}
		if (copy >= 0 && write_all(copy, blk, (size_t)n) != 0) {
			snprintf(err, errlen, "copying stdin to a temporary "
			    "file: %s", strerror(errno));
			rc = EXIT_IOERR;
			goto out;
		}
		while (off < (size_t)n) {
			char *nl = memchr(blk + off, '\n', (size_t)n - off);
			size_t len = nl ? (size_t)(nl - (blk + off)) :
			    (size_t)n - off;

			if (!pending)
				line_off = base + off;
			/* bounded: a longer line is skipped, never held */
			if (over || have + len > VERIFY_LINE_MAX) {
				over = 1;
			} else {
				memcpy(line + have, blk + off, len);
				have += len;
			}
			pending = 1;
			off += len;
			if (nl != NULL) {
				index_line(ix, f, line_off, ++lineno, line, have,
				    over, 1, &open);
				have = 0;
				over = pending = 0;
				off++;
			}
		}
		base += (uint64_t)n;
	}
	if (pending)
		index_line(ix, f, line_off, ++lineno, line, have, over, 0, &open);
	if (copy >= 0) {
		close(vf->fd);
		vf->fd = copy;
		copy = -1;
	}
out:
	if (copy >= 0)
		close(copy);
	free(blk);
	free(line);
	return rc;
}

static const struct verify_index *sort_ix;

static int
chunk_cmp(const void *a, const void *b)
{
	const struct verify_chunk *x = &sort_ix->chunks[*(const size_t *)a];
	const struct verify_chunk *y = &sort_ix->chunks[*(const size_t *)b];

	if (x->stream != y->stream)
		return x->stream < y->stream ? -1 : 1;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	/* input order among copies */
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

int
verify_index_build(struct verify_index *ix, char *err, size_t errlen)
{
	size_t i;
	int rc;

	for (i = 0; i < ix->nfiles; i++)
		if ((rc = index_file(ix, (uint32_t)i, err, errlen)) != 0)
			return rc;
	ix->order = xmalloc((ix->nchunks + 1) * sizeof(*ix->order));
	for (i = 0; i < ix->nchunks; i++)
		ix->order[i] = i;
	sort_ix = ix;
	qsort(ix->order, ix->nchunks, sizeof(*ix->order), chunk_cmp);
	for (i = 0; i < ix->nchunks; i++) {
		struct verify_sref *s = &ix->streams[ix->chunks[ix->order[i]].stream];

		if (s->nchunks++ == 0)
			s->first_chunk = i;
	}
	return 0;
}

/* ---- reading chunks back ---- */

const char *
verify_reader_file(const struct verify_index *ix,
    const struct verify_reader *r)
{
	return ix->files[r->c->file].name;
}

static void
reader_open(struct verify_reader *r, const struct verify_index *ix,
    const struct verify_chunk *c)
{
	uint64_t size = c->end - c->off;

	memset(r, 0, sizeof(*r));
	r->c = c;
	r->fd = ix->files[c->file].fd;
	r->off = c->off;
	r->seq = c->first;
	r->lineno = c->lineno;
	buf_init(&r->b, size < 65536 ? (size_t)size + 1 : 65536,
	    VERIFY_LINE_MAX + 65536);
}

/* The next line of the chunk: 1, 0 at its end, -1 on a read error. */
static int
reader_next(struct verify_reader *r)
{
	char *nl;

	if (r->started) {
		r->pos += r->len + 1;
		r->seq++;
		r->lineno++;
		if (r->seq > r->c->last)
			return 0;
	}
	r->started = 1;
	for (;;) {
		size_t avail = r->b.len - r->pos;
		ssize_t n;
		size_t want;

		nl = memchr(r->b.p + r->pos, '\n', avail);
		if (nl != NULL || (r->off == r->c->end && avail > 0)) {
			r->line = r->b.p + r->pos;
			r->len = nl ? (size_t)(nl - r->line) : avail;
			return 1;
		}
		if (r->off == r->c->end)
			return 0;
		/* keep the partial line, read more behind it */
		memmove(r->b.p, r->b.p + r->pos, avail);
		r->b.len = avail;
		r->pos = 0;
		want = r->b.cap - r->b.len;
		if (want < 4096) {
			if (buf_grow(&r->b, r->b.cap) != 0)
				return -1;
			want = r->b.cap - r->b.len;
		}
		if (want > r->c->end - r->off)
			want = (size_t)(r->c->end - r->off);
		n = pread(r->fd, r->b.p + r->b.len, want, (off_t)r->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		r->b.len += (size_t)n;
		r->off += (uint64_t)n;
	}
}

static void
reader_close(struct verify_reader *r)
{
	buf_free(&r->b);
}

static int
before(const struct verify_reader *a, const struct verify_reader *b)
{
	return a->seq != b->seq ? a->seq < b->seq : a->c < b->c;
}

static void
heap_push(struct verify_merge *m, struct verify_reader *r)
{
	size_t i;

	if (m->nheap == m->capheap) {
		m->capheap = m->capheap ? 2 * m->capheap : 8;
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): pointers, by design */
		m->heap = xrealloc(m->heap, m->capheap * sizeof(*m->heap));
		/* NOLINTNEXTLINE(bugprone-sizeof-expression) */
		m->group = xrealloc(m->group, m->capheap * sizeof(*m->group));
	}
	i = m->nheap++;
	while (i > 0 && before(r, m->heap[(i - 1) / 2])) {
		m->heap[i] = m->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	m->heap[i] = r;
}

static struct verify_reader *
heap_pop(struct verify_merge *m)
{
	struct verify_reader *top = m->heap[0], *last = m->heap[--m->nheap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= m->nheap)
			break;
		if (c + 1 < m->nheap && before(m->heap[c + 1], m->heap[c]))
			c++;
		if (!before(m->heap[c], last))
			break;
		m->heap[i] = m->heap[c];
		i = c;
	}
	if (m->nheap > 0)
		m->heap[i] = last;
	return top;
}

void
verify_merge_init(struct verify_merge *m, const struct verify_index *ix,
    size_t stream)
{
	memset(m, 0, sizeof(*m));
	m->ix = ix;
	m->s = &ix->streams[stream];
}

static void
retire(struct verify_reader *r)
{
	reader_close(r);
	free(r);
}

int
verify_merge_next(struct verify_merge *m)
{
	const struct verify_index *ix = m->ix;
	size_t i;
	int rc;

	/* the last group moves on */
	for (i = 0; i < m->ngroup; i++) {
		struct verify_reader *r = m->group[i];

		if ((rc = reader_next(r)) < 0)
			return -1;
		if (rc == 0)
			retire(r);
		else
			heap_push(m, r);
	}
	m->ngroup = 0;
	/* chunks starting at or before the lowest sequence open now */
	while (m->next < m->s->nchunks) {
		const struct verify_chunk *c =
		    &ix->chunks[ix->order[m->s->first_chunk + m->next]];
		struct verify_reader *r;

		if (m->nheap > 0 && c->first > m->heap[0]->seq)
			break;
		r = xmalloc(sizeof(*r));
		reader_open(r, ix, c);
		m->next++;
		if ((rc = reader_next(r)) <= 0) {
			retire(r);
			if (rc < 0)
				return -1;
			continue;
		}
		heap_push(m, r);
	}
	if (m->nheap == 0)
		return 0;
	m->group[m->ngroup++] = heap_pop(m);
	while (m->nheap > 0 && m->heap[0]->seq == m->group[0]->seq)
		m->group[m->ngroup++] = heap_pop(m);
	return (int)m->ngroup;
}

void
verify_merge_free(struct verify_merge *m)
{
	size_t i;

	for (i = 0; i < m->ngroup; i++)
		retire(m->group[i]);
	for (i = 0; i < m->nheap; i++)
		retire(m->heap[i]);
	free(m->heap);
	free(m->group);
	memset(m, 0, sizeof(*m));
}
