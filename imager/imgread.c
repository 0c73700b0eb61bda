/* Random access to an image's disk through its index, with a shared cache of decoded chunks.
 * Decoding and checking are image.c's (lb_chunk_open / lb_chunk_finish), as restore and verify
 * use them; this file finds the chunk, reads its record and keeps the result. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crypt.h"
#include "err.h"
#include "image.h"
#include "imgread.h"
#include "le.h"
#include "ptable.h"

#define NPIECE_CACHE 4
#define MAX_PATCHES (1u << 20)       /* rescued pieces kept in memory (24 MiB of entries) */

struct ent {
	uint64_t start, end, pos, seq;
};

/* A decoded chunk. state: 0 free, 1 being decoded (by the thread that set it), 2 ready. */
struct cached {
	uint64_t seq, tick;
	int state, priv;
	unsigned refs;
	uint64_t start, end;
	uint32_t len, next;
	unsigned codec, flags;
	struct lb_extent *ext;
	uint8_t *data;               /* NULL: zeros */
};

struct piece_copy {
	uint64_t j, tick, count;
	int valid;
	uint8_t *e;
};

struct lb_imgread {
	struct lb_image img;
	uint64_t size, every, npieces, nord;   /* nord: pieces holding ordinary chunks (a prefix) */
	uint64_t *first, *ord;       /* per piece: first ordinary chunk offset, ordinary entries */
	struct ent *patch;           /* rescued data (patch chunks), sorted by start */
	size_t npatch;
	size_t in_cap;
	pthread_mutex_t ilock;       /* the image's index reading and the piece copies */
	struct piece_copy pc[NPIECE_CACHE];
	uint64_t ptick;
	pthread_mutex_t clock;       /* the chunk cache */
	pthread_cond_t ccond;
	struct cached *cache;
	unsigned ncache;
	uint64_t ctick;
};

struct lb_imgread_worker {
	struct lb_imgread *r;
	void *dec;
	uint8_t *in;
	struct lb_extent *ext;
};

uint64_t lb_imgread_size(const struct lb_imgread *r)
{
	return r->size;
}

const struct lb_image_info *lb_imgread_info(const struct lb_imgread *r)
{
	return &r->img.info;
}

uint64_t lb_imgread_id(const struct lb_imgread *r)
{
	return r->img.r.hdr.image_id;
}

static int cmp_patch(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Walks the whole index once: the ordinary chunks' pieces (their first offsets, for the binary
 * search), and the patch chunks, which follow all ordinary ones and lie inside them. */
static int build_directory(struct lb_imgread *r, struct lb_err *err)
{
	uint64_t last_end = 0, cap = 0;
	int in_patch = 0, rc;
	r->npieces = lb_image_index_pieces(&r->img);
	r->every = r->img.index ? r->img.nchunks : r->img.every;
	r->first = calloc(r->npieces + 1, sizeof *r->first);
	r->ord = calloc(r->npieces + 1, sizeof *r->ord);
	if (!r->first || !r->ord)
		return lb_fail(err, LB_ENOMEM, "out of memory for the image's index");
	for (uint64_t j = 0; j < r->npieces; j++) {
		const uint8_t *e;
		uint64_t n;
		if ((rc = lb_image_index_piece(&r->img, j, &e, &n, err)))
			return rc;
		for (uint64_t i = 0; i < n; i++, e += LB_INDEX_ENTRY) {
			struct ent x = { le64(e), le64(e + 8), le64(e + 16), j * r->every + i };
			if (!in_patch && x.start >= last_end) {
				if (!r->ord[j]++)
					r->first[j] = x.start;
				last_end = x.end;
				continue;
			}
			in_patch = 1;
			if (x.end > last_end)
				return lb_fail(err, LB_EDAMAGED, "%s is damaged: its index lists chunk %llu "
				               "out of order", r->img.r.path, (unsigned long long)x.seq);
			if (r->npatch == MAX_PATCHES)
				return lb_fail(err, LB_EUNSUPPORTED, "%s holds more than %u rescued pieces: "
				               "too many to read at random; restore it instead",
				               r->img.r.path, MAX_PATCHES);
			if (r->npatch == cap) {
				struct ent *p = realloc(r->patch, (cap = cap ? 2 * cap : 64) * sizeof *p);
				if (!p)
					return lb_fail(err, LB_ENOMEM, "out of memory for the image's index");
				r->patch = p;
			}
			r->patch[r->npatch++] = x;
		}
	}
	while (r->nord < r->npieces && r->ord[r->nord])
		r->nord++;
	if (r->npatch)
		qsort(r->patch, r->npatch, sizeof *r->patch, cmp_patch);
	for (size_t i = 1; i < r->npatch; i++)
		if (r->patch[i].start < r->patch[i - 1].end)
			return lb_fail(err, LB_EDAMAGED, "%s is damaged: two rescued pieces overlap",
			               r->img.r.path);
	return 0;
}

int lb_imgread_open(struct lb_imgread **out, const char *path, lb_passphrase_fn ask,
                    void *ask_ctx, unsigned cache_chunks, struct lb_err *err)
{
	struct lb_imgread *r = calloc(1, sizeof *r);
	int rc;
	*out = NULL;
	if (!r)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	pthread_mutex_init(&r->ilock, NULL);
	pthread_mutex_init(&r->clock, NULL);
	pthread_cond_init(&r->ccond, NULL);
	if (!strcmp(path, "-")) {
		free(r);
		return lb_fail(err, LB_EUSAGE, "reading an image at random needs a file, not standard "
		               "input");
	}
	if ((rc = lb_image_open_key(&r->img, path, ask, ask_ctx, err))) {
		free(r);
		return rc;
	}
	r->size = r->img.info.src_size;
	r->in_cap = lb_image_in_cap(&r->img);
	r->ncache = cache_chunks ? cache_chunks : LB_IMGREAD_CACHE;
	if (!(r->cache = calloc(r->ncache, sizeof *r->cache))) {
		rc = lb_fail(err, LB_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = build_directory(r, err)))
		goto fail;
	if (!r->img.index)
		for (int i = 0; i < NPIECE_CACHE; i++)
			if (!(r->pc[i].e = malloc(r->every * LB_INDEX_ENTRY + 1))) {
				rc = lb_fail(err, LB_ENOMEM, "out of memory");
				goto fail;
			}
	*out = r;
	return 0;
fail:
	lb_imgread_close(r);
	return rc;
}

static void drop(struct cached *c)
{
	free(c->ext);
	free(c->data);
	c->ext = NULL;
	c->data = NULL;
}

void lb_imgread_close(struct lb_imgread *r)
{
	if (!r)
		return;
	for (unsigned i = 0; r->cache && i < r->ncache; i++)
		drop(&r->cache[i]);
	for (int i = 0; i < NPIECE_CACHE; i++)
		free(r->pc[i].e);
	free(r->cache);
	free(r->first);
	free(r->ord);
	free(r->patch);
	lb_image_close(&r->img);
	pthread_mutex_destroy(&r->ilock);
	pthread_mutex_destroy(&r->clock);
	pthread_cond_destroy(&r->ccond);
	free(r);
}

struct lb_imgread_worker *lb_imgread_worker_new(struct lb_imgread *r)
{
	struct lb_imgread_worker *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->r = r;
	w->dec = lb_decoder_new(&r->img);
	w->in = malloc(r->in_cap);
	w->ext = malloc(LB_MAX_EXTENTS * sizeof *w->ext);
	if (!w->dec || !w->in || !w->ext) {
		lb_imgread_worker_free(w);
		return NULL;
	}
	return w;
}

void lb_imgread_worker_free(struct lb_imgread_worker *w)
{
	if (!w)
		return;
	lb_decoder_free(w->dec);
	free(w->in);
	free(w->ext);
	free(w);
}

/* The entries of piece j; ilock held. */
static int piece(struct lb_imgread *r, uint64_t j, const uint8_t **e, struct lb_err *err)
{
	struct piece_copy *old = &r->pc[0];
	const uint8_t *src;
	uint64_t n;
	int rc;
	if (r->img.index) {
		*e = r->img.index;
		return 0;
	}
	for (int i = 0; i < NPIECE_CACHE; i++) {
		if (r->pc[i].valid && r->pc[i].j == j) {
			r->pc[i].tick = ++r->ptick;
			*e = r->pc[i].e;
			return 0;
		}
		if (!r->pc[i].valid || r->pc[i].tick < old->tick)
			old = &r->pc[i];
	}
	old->valid = 0;
	if ((rc = lb_image_index_piece(&r->img, j, &src, &n, err)))
		return rc;
	memcpy(old->e, src, n * LB_INDEX_ENTRY);
	old->j = j;
	old->count = n;
	old->valid = 1;
	old->tick = ++r->ptick;
	*e = old->e;
	return 0;
}

/* The ordinary chunk holding disk offset off: *found = 1 and *x; or *found = 0 and *next = the
 * start of the next chunk (UINT64_MAX: none). */
static int find(struct lb_imgread *r, uint64_t off, int *found, struct ent *x, uint64_t *next,
                struct lb_err *err)
{
	uint64_t lo = 0, hi = r->nord, j, i, n;
	const uint8_t *e;
	int rc;
	*found = 0;
	*next = UINT64_MAX;
	while (lo < hi) {            /* the last piece whose first chunk starts at or before off */
		uint64_t mid = lo + (hi - lo) / 2;
		if (r->first[mid] <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo) {
		if (r->nord)
			*next = r->first[0];
		return 0;
	}
	j = lo - 1;
	n = r->ord[j];
	pthread_mutex_lock(&r->ilock);
	if ((rc = piece(r, j, &e, err)))
		goto out;
	lo = 0;
	hi = n;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (le64(e + mid * LB_INDEX_ENTRY) <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	i = lo - 1;                  /* exists: first[j] <= off */
	x->start = le64(e + i * LB_INDEX_ENTRY);
	x->end = le64(e + i * LB_INDEX_ENTRY + 8);
	x->pos = le64(e + i * LB_INDEX_ENTRY + 16);
	x->seq = j * r->every + i;
	if (off < x->end)
		*found = 1;
	else if (i + 1 < n)
		*next = le64(e + (i + 1) * LB_INDEX_ENTRY);
	else if (j + 1 < r->nord)
		*next = r->first[j + 1];
	rc = 0;
out:
	pthread_mutex_unlock(&r->ilock);
	return rc;
}

static int bad_chunk(struct lb_err *err, struct lb_imgread *r, const struct ent *x,
                     const char *what)
{
	return lb_fail(err, LB_EDAMAGED, "%s is damaged: chunk %llu (disk offset %llu, stream offset "
	               "%llu): %s", r->img.r.path, (unsigned long long)x->seq,
	               (unsigned long long)x->start, (unsigned long long)x->pos, what);
}

/* Reads and checks the record header of the chunk x describes. */
static int peek(struct lb_imgread *r, const struct ent *x, int patch, struct lb_rec *rec,
                struct lb_err *err)
{
	uint8_t h[LB_REC_HDR_LEN];
	char why[160];
	int rc;
	if (x->pos > r->img.r.stream_len || r->img.r.stream_len - x->pos < LB_REC_HDR_LEN)
		return bad_chunk(err, r, x, "its index entry points outside the image");
	if ((rc = lb_imgr_pread(&r->img.r, h, sizeof h, x->pos, err)))
		return rc;
	if (lb_rec_decode(h, rec, r->img.r.hdr.major, r->img.seal, why, sizeof why))
		return bad_chunk(err, r, x, why);
	if (rec->type != LB_REC_CHUNK || rec->offset != x->start || rec->seq != (uint32_t)x->seq ||
	    !(rec->flags & LB_CHUNK_PATCH) != !patch)
		return bad_chunk(err, r, x, "the record is not the chunk the index describes");
	if ((rec->codec != LB_CODEC_ZERO && rec->length > r->img.info.chunk_size) ||
	    rec->stored > r->in_cap || rec->stored > r->img.r.stream_len - x->pos - LB_REC_HDR_LEN)
		return bad_chunk(err, r, x, "it is larger than the image's chunk size");
	return 0;
}

/* Decodes and checks the chunk x describes into c (c->ext, c->data allocated here). */
static int decode(struct lb_imgread_worker *w, const struct ent *x, int patch, struct cached *c,
                  struct lb_err *err)
{
	struct lb_imgread *r = w->r;
	struct lb_slot s;
	struct lb_rec rec;
	uint64_t span_end;
	int rc;
	if ((rc = peek(r, x, patch, &rec, err)))
		return rc;
	if ((rc = lb_imgr_pread(&r->img.r, w->in, rec.stored, x->pos + LB_REC_HDR_LEN, err)))
		return rc;
	memset(&s, 0, sizeof s);
	s.seq = x->seq;
	s.offset = rec.offset;
	s.len = rec.length;
	s.next = rec.nextents ? rec.nextents : 1;
	s.ext = w->ext;
	s.in = w->in;
	s.in_len = rec.stored;
	s.codec = rec.codec;
	s.flags = rec.flags;
	s.crc = rec.crc;
	s.stream_pos = x->pos;
	s.rec_seq = rec.seq;
	if (r->img.crypt && !rec.nextents) {
		s.sealed = 1;        /* lb_chunk_open checks the CRC, then the tag */
	} else if (r->img.crypt) {
		if (lb_crc32(0, w->in, rec.stored) != rec.crc)
			return bad_chunk(err, r, x, "its stored bytes are damaged (CRC-32 mismatch)");
		if (lb_crypt_open(r->img.crypt, &rec, w->in))
			return bad_chunk(err, r, x, "it was ALTERED after it was written (authentication "
			                 "failed)");
		s.in_len = rec.stored - LB_SEAL_LEN;
	}
	if (!rec.nextents) {
		w->ext[0].off = rec.offset;
		w->ext[0].len = rec.length;
	}
	if (rec.codec != LB_CODEC_ZERO && !(c->data = malloc(rec.length ? rec.length : 1)))
		return lb_fail(err, LB_ENOMEM, "out of memory decoding a chunk");
	s.out = c->data;
	lb_chunk_open(w->dec, &s, r->img.r.path);
	if (!s.err_code) {
		span_end = w->ext[s.next - 1].off + w->ext[s.next - 1].len;
		if (span_end != x->end)
			return bad_chunk(err, r, x, "it does not match the image's index");
		lb_chunk_finish(w->dec, &s, r->img.r.path);
	}
	if (s.err_code)
		return lb_fail(err, s.err_code, "%s", s.err_msg);
	if (s.data && s.data != c->data)
		memcpy(c->data, s.data, s.len);
	if (!s.data) {
		free(c->data);
		c->data = NULL;
	}
	if (!(c->ext = malloc(s.next * sizeof *c->ext)))
		return lb_fail(err, LB_ENOMEM, "out of memory decoding a chunk");
	memcpy(c->ext, w->ext, s.next * sizeof *c->ext);
	c->next = s.next;
	c->len = s.len;
	c->start = x->start;
	c->end = x->end;
	c->codec = rec.codec;
	c->flags = rec.flags;
	return 0;
}

/* Copies [a, b) of the disk as chunk c holds it into dst (gaps between its ranges: zeros). */
static void copy_out(const struct cached *c, uint8_t *dst, uint64_t a, uint64_t b)
{
	uint64_t dpos = 0;
	memset(dst, 0, b - a);
	if (!c->data)
		return;
	for (uint32_t k = 0; k < c->next; k++) {
		uint64_t lo = c->ext[k].off > a ? c->ext[k].off : a;
		uint64_t hi = c->ext[k].off + c->ext[k].len < b ? c->ext[k].off + c->ext[k].len : b;
		if (lo < hi)
			memcpy(dst + (lo - a), c->data + dpos + (lo - c->ext[k].off), hi - lo);
		dpos += c->ext[k].len;
	}
}

/* Writes data of disk range [a, b) (src) into chunk c where c holds those bytes. */
static void copy_in(struct cached *c, const uint8_t *src, uint64_t a, uint64_t b)
{
	uint64_t dpos = 0;
	for (uint32_t k = 0; k < c->next && c->data; k++) {
		uint64_t lo = c->ext[k].off > a ? c->ext[k].off : a;
		uint64_t hi = c->ext[k].off + c->ext[k].len < b ? c->ext[k].off + c->ext[k].len : b;
		if (lo < hi)
			memcpy(c->data + dpos + (lo - c->ext[k].off), src + (lo - a), hi - lo);
		dpos += c->ext[k].len;
	}
}

/* A chunk with unreadable sectors: the rescued pieces that lie over it replace its zeros. */
static int apply_patches(struct lb_imgread_worker *w, const struct ent *x, struct cached *c,
                         struct lb_err *err)
{
	struct lb_imgread *r = w->r;
	size_t lo = 0, hi = r->npatch;
	int rc = 0;
	if (!c->data) {              /* a zero chunk the patches fill: as large as a data chunk */
		if (c->len > r->img.info.chunk_size)
			return bad_chunk(err, r, x, "a chunk with unreadable sectors is larger than the "
			                 "image's chunk size");
		if (!(c->data = calloc(1, c->len ? c->len : 1)))
			return lb_fail(err, LB_ENOMEM, "out of memory");
	}
	while (lo < hi) {            /* first patch ending after c->start */
		size_t mid = lo + (hi - lo) / 2;
		if (r->patch[mid].end <= c->start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < r->npatch && r->patch[i].start < c->end && !rc; i++) {
		struct cached p;
		uint8_t *buf;
		memset(&p, 0, sizeof p);
		if (!(rc = decode(w, &r->patch[i], 1, &p, err))) {
			uint64_t a = p.start, b = p.end;
			if (!(buf = malloc(b - a ? b - a : 1))) {
				rc = lb_fail(err, LB_ENOMEM, "out of memory");
			} else {
				copy_out(&p, buf, a, b);
				/* only the bytes the patch holds, not its gaps */
				for (uint32_t k = 0; k < p.next; k++)
					copy_in(c, buf + (p.ext[k].off - a), p.ext[k].off,
					        p.ext[k].off + p.ext[k].len);
				free(buf);
			}
		}
		drop(&p);
	}
	return rc;
}

/* The decoded chunk x, from the cache or decoded now (and kept); release with put(). */
static int get(struct lb_imgread_worker *w, const struct ent *x, struct cached **out,
               struct lb_err *err)
{
	struct lb_imgread *r = w->r;
	struct cached *c, *victim;
	int rc;
	pthread_mutex_lock(&r->clock);
	for (;;) {
		struct cached *hit = NULL;
		victim = NULL;
		for (unsigned i = 0; i < r->ncache; i++) {
			c = &r->cache[i];
			if (c->state && c->seq == x->seq) {
				hit = c;
				break;
			}
			if (!c->state) {
				if (!victim || victim->state)
					victim = c;   /* a free entry first */
			} else if (c->state == 2 && !c->refs &&
			           (!victim || (victim->state && c->tick < victim->tick))) {
				victim = c;       /* else the least recently used one nobody holds */
			}
		}
		if (!hit)
			break;
		if (hit->state == 2) {
			hit->refs++;
			hit->tick = ++r->ctick;
			pthread_mutex_unlock(&r->clock);
			*out = hit;
			return 0;
		}
		pthread_cond_wait(&r->ccond, &r->clock);   /* another thread decodes it */
	}
	if (victim) {
		drop(victim);
		victim->state = 1;
		victim->seq = x->seq;
		victim->refs = 1;
		victim->priv = 0;
	}
	pthread_mutex_unlock(&r->clock);
	if (!victim) {               /* every entry in use: decode for this read alone */
		if (!(victim = calloc(1, sizeof *victim)))
			return lb_fail(err, LB_ENOMEM, "out of memory");
		victim->priv = 1;
		victim->refs = 1;
	}
	rc = decode(w, x, 0, victim, err);
	if (!rc && (victim->flags & LB_CHUNK_BAD) && r->npatch)
		rc = apply_patches(w, x, victim, err);
	if (victim->priv) {
		if (rc) {
			drop(victim);
			free(victim);
			return rc;
		}
		*out = victim;
		return 0;
	}
	pthread_mutex_lock(&r->clock);
	if (rc) {
		drop(victim);
		victim->state = 0;
		victim->refs = 0;
	} else {
		victim->state = 2;
		victim->tick = ++r->ctick;
	}
	pthread_cond_broadcast(&r->ccond);
	pthread_mutex_unlock(&r->clock);
	*out = rc ? NULL : victim;
	return rc;
}

static void put(struct lb_imgread *r, struct cached *c)
{
	if (c->priv) {
		drop(c);
		free(c);
		return;
	}
	pthread_mutex_lock(&r->clock);
	c->refs--;
	pthread_mutex_unlock(&r->clock);
}

static int outside(struct lb_imgread *r, uint64_t len, uint64_t off, struct lb_err *err)
{
	if (off > r->size || len > r->size - off)
		return lb_fail(err, LB_EUSAGE, "bytes %llu to %llu are outside the disk (%llu bytes)",
		               (unsigned long long)off, (unsigned long long)(off + len),
		               (unsigned long long)r->size);
	return 0;
}

int lb_imgread_pread(struct lb_imgread_worker *w, void *buf, size_t len, uint64_t off,
                     struct lb_err *err)
{
	struct lb_imgread *r = w->r;
	uint8_t *dst = buf;
	int rc;
	if ((rc = outside(r, len, off, err)))
		return rc;
	while (len) {
		struct ent x;
		struct cached *c;
		uint64_t next, n;
		int found;
		if ((rc = find(r, off, &found, &x, &next, err)))
			return rc;
		if (!found) {
			n = next - off < len ? next - off : len;
			memset(dst, 0, n);
		} else {
			n = x.end - off < len ? x.end - off : len;
			if ((rc = get(w, &x, &c, err)))
				return rc;
			copy_out(c, dst, off, off + n);
			put(r, c);
		}
		dst += n;
		off += n;
		len -= n;
	}
	return 0;
}

int lb_imgread_map(struct lb_imgread_worker *w, uint64_t off, uint64_t len, int *data,
                   uint64_t *run, struct lb_err *err)
{
	struct lb_imgread *r = w->r;
	struct lb_rec rec;
	struct cached *c;
	struct ent x;
	uint64_t next, end;
	int found, rc;
	if ((rc = outside(r, len, off, err)))
		return rc;
	if (!len)
		return lb_fail(err, LB_EUSAGE, "internal: an empty range");
	if ((rc = find(r, off, &found, &x, &next, err)))
		return rc;
	end = off + len;
	if (!found) {
		*data = 0;
		*run = (next < end ? next : end) - off;
		return 0;
	}
	if (x.end < end)
		end = x.end;
	*data = 1;
	*run = end - off;
	lb_err_clear(err);
	if (peek(r, &x, 0, &rec, err)) {
		lb_err_clear(err);   /* reading it will say what is wrong */
		return 0;
	}
	if (!rec.nextents && rec.codec != LB_CODEC_ZERO)
		return 0;            /* one range of data */
	if (!rec.nextents && !r->img.crypt && !((rec.flags & LB_CHUNK_BAD) && r->npatch)) {
		*data = 0;           /* a zero chunk: nothing to check but its header */
		return 0;
	}
	/* ranges, or a sealed zero chunk (its tag says it was not swapped for data): decoded */
	if (get(w, &x, &c, err)) {
		lb_err_clear(err);
		return 0;
	}
	*data = 0;
	for (uint32_t k = 0; k < c->next; k++) {
		uint64_t a = c->ext[k].off, b = a + c->ext[k].len;
		if (b <= off)
			continue;
		if (a > off) {       /* a gap first */
			*run = (a < end ? a : end) - off;
			break;
		}
		*data = c->data != NULL;
		*run = (b < end ? b : end) - off;
		break;
	}
	/* past the last range: a gap up to the span's end (*run as set above) */
	put(r, c);
	return 0;
}
