/* Target writing and read-back verification. */
#include <linux/fs.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <string.h>
#include "chunker.h"
#include "err.h"
#include "le.h"
#include "ptable.h"
#include "twrite.h"

int lb_tw_open(struct lb_twriter *t, const char *target, struct lb_err *err)
{
	memset(t, 0, sizeof *t);
	return lb_dev_open(&t->dev, target, 2, err);
}

void lb_tw_close(struct lb_twriter *t)
{
	lb_dev_close(&t->dev);
	lb_ext_free(&t->ext);
	free(t->v);
	t->v = NULL;
}

int lb_tw_same(struct lb_twriter *t, struct lb_slot *s)
{
	uint8_t tab[16];
	uint32_t crc = 0;
	if (s->next > 1)
		for (uint32_t k = 0; k < s->next; k++) {
			put64(tab, s->ext[k].off);
			put64(tab + 8, s->ext[k].len);
			crc = lb_crc32(crc, tab, 16);
		}
	for (uint32_t k = 0; k < s->next; k++) {
		uint64_t off = s->ext[k].off, len = s->ext[k].len;
		if (off < t->lo || off + len > t->hi || len > s->len)
			return 0;   /* clipped chunks are simply written */
		if (s->codec == 0) {   /* zero chunks can be far larger than s->out */
			struct lb_err e = { 0 };
			uint64_t at;
			uint8_t *buf = malloc(1u << 20);   /* not on the stack: musl threads have 128 KiB */
			int z = buf ? lb_dev_check_zero(&t->dev, off - t->lo + t->dest, len, buf, 1u << 20,
			                                &at, &e) : -1;
			free(buf);
			if (z)
				return 0;
			continue;
		}
		if (lb_pread_full(t->dev.fd, s->out, (size_t)len, off - t->lo + t->dest))
			return 0;
		{
			crc = lb_crc32(crc, s->out, (size_t)len);
		}
	}
	return crc == s->crc;
}

int lb_tw_write(struct lb_twriter *t, const struct lb_slot *s, struct lb_err *err)
{
	/* a chunk with unreadable sectors is superseded in part by patch chunks: not checkable */
	struct lb_vrec vr = { t->ext.n, 0, s->crc, s->codec == LB_CODEC_ZERO,
	                      (s->flags & LB_CHUNK_BAD) != 0 };
	const uint8_t *p = s->data;
	int rc;
	for (uint32_t i = 0; i < s->next; i++) {
		uint64_t off = s->ext[i].off, len = s->ext[i].len, skip = 0;
		if (off < t->lo)
			skip = t->lo - off < len ? t->lo - off : len;
		if (off + len > t->hi)
			len = t->hi > off ? t->hi - off : 0;
		if (skip || len != s->ext[i].len)
			vr.partial = 1;
		if (len > skip && !(s->flags & LB_SLOT_SAME)) {
			uint64_t dst = off + skip - t->lo + t->dest;
			if (p)
				rc = lb_dev_write(&t->dev, p + skip, len - skip, dst, err);
			else
				rc = lb_dev_zero(&t->dev, dst, len - skip, err);
			if (rc)
				return lb_context(err, "restoring chunk %llu", (unsigned long long)s->seq);
			t->written += len - skip;
		}
		/* remember the extent as the image has it, for the checksum */
		if (lb_ext_push(&t->ext, s->ext[i].off, s->ext[i].len) < 0)
			return lb_fail(err, LB_ENOMEM, "out of memory");
		if (p)
			p += s->ext[i].len;
	}
	vr.next = (uint32_t)(t->ext.n - vr.first);
	if (t->nv == t->capv) {
		size_t cap = t->capv ? t->capv * 2 : 1024;
		struct lb_vrec *v = realloc(t->v, cap * sizeof *v);
		if (!v)
			return lb_fail(err, LB_ENOMEM, "out of memory");
		t->v = v;
		t->capv = cap;
	}
	t->v[t->nv++] = vr;
	if (t->readback && t->nv >= LB_TW_WINDOW) {
		/* the read-back of this window now; the progress shown stays the copy's */
		struct lb_prog quiet;
		int ok;
		lb_prog_init(&quiet, NULL, NULL);
		if ((rc = lb_tw_verify(t, &quiet, &ok, err)))
			return rc;
		t->nv = 0;
		t->ext.n = 0;
	}
	return 0;
}

int lb_tw_verify(struct lb_twriter *t, struct lb_prog *prog, int *verified, struct lb_err *err)
{
	enum { BUF = 1 << 20 };
	uint8_t *buf = malloc(BUF), tab[16];
	uint64_t done = 0, total = 0;
	int rc = 0;
	*verified = 0;
	if (!buf)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	if ((rc = lb_dev_sync(&t->dev, err)))
		goto out;
	lb_dev_drop_cache(&t->dev);
	for (size_t i = 0; i < t->nv; i++)
		for (uint32_t k = 0; k < t->v[i].next; k++)
			total += t->ext.v[t->v[i].first + k].len;
	lb_prog_phase(prog, LB_PHASE_VERIFY, total);
	for (size_t i = 0; i < t->nv && !rc; i++) {
		const struct lb_vrec *vr = &t->v[i];
		uint32_t crc = 0;
		int zero_ok = 1;
		if (vr->partial)
			continue;
		if (vr->next > 1)
			for (uint32_t k = 0; k < vr->next; k++) {
				put64(tab, t->ext.v[vr->first + k].off);
				put64(tab + 8, t->ext.v[vr->first + k].len);
				crc = lb_crc32(crc, tab, 16);
			}
		for (uint32_t k = 0; k < vr->next && !rc; k++) {
			uint64_t off = t->ext.v[vr->first + k].off, len = t->ext.v[vr->first + k].len, at;
			if (vr->zero) {   /* up to 1 GiB: holes of a target file are skipped, not read */
				int z = lb_dev_check_zero(&t->dev, off - t->lo + t->dest, len, buf, BUF, &at, err);
				if (z > 0)
					rc = z;
				zero_ok &= z == 0;
				done += len;
				continue;
			}
			while (len) {
				size_t n = len < BUF ? (size_t)len : BUF;
				if ((rc = lb_dev_read(&t->dev, buf, n, off - t->lo + t->dest, err)))
					break;
				if (vr->zero)
					zero_ok &= lb_is_zero(buf, n);
				else
					crc = lb_crc32(crc, buf, n);
				off += n;
				len -= n;
				done += n;
			}
		}
		if (rc)
			break;
		if (vr->zero ? !zero_ok : crc != vr->crc) {
			rc = lb_fail(err, LB_EIO, "verification failed: what was read back from %s at "
			             "offset %llu differs from what was written (a failing disk or "
			             "connection?)", t->dev.path,
			             (unsigned long long)(t->ext.v[vr->first].off - t->lo + t->dest));
			break;
		}
		if (lb_prog_update(prog, done, 0))
			rc = lb_fail(err, LB_ECANCELLED, "cancelled during verification");
	}
	if (!rc)
		*verified = 1;
out:
	free(buf);
	return rc;
}

int lb_tw_finish(struct lb_twriter *t, int verify, uint64_t gpt_src_size, int whole_disk,
                 struct lb_prog *prog, struct lb_report *rep, struct lb_err *err)
{
	int rc;
	if ((rc = lb_dev_sync(&t->dev, err)))
		return rc;
	if (verify && (rc = lb_tw_verify(t, prog, &rep->verified, err)))
		return rc;
	if (gpt_src_size && (rc = lb_tw_fix_gpt(t, gpt_src_size, &rep->gpt_relocated, err)))
		return rc;
	if (whole_disk && (rc = lb_tw_wipe_stale(t, gpt_src_size, &rep->stale_wiped, err)))
		return rc;
	if ((rc = lb_dev_sync(&t->dev, err)))
		return rc;
	if (t->dev.is_blk && whole_disk)
		ioctl(t->dev.fd, BLKRRPART, 0);   /* let the kernel see the new partitions */
	return 0;
}

int lb_tw_fix_gpt(struct lb_twriter *t, uint64_t src_size, int *relocated, struct lb_err *err)
{
	struct lb_ptable *pt = malloc(sizeof *pt);
	int rc;
	*relocated = 0;
	if (!pt)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	/* The backup GPT the image carried sits where the source ended. */
	if ((rc = lb_ptable_read_sized(&t->dev, src_size, pt, err)))
		goto out;
	if (strcmp(pt->type, "gpt")) {
		rc = lb_fail(err, LB_EIO, "the GPT written to %s cannot be read back; run 'sgdisk -v' "
		             "on it and report this", t->dev.path);
		goto out;
	}
	if (t->dev.size == src_size && pt->gpt.primary_ok && pt->gpt.backup_ok)
		goto out;   /* same size, both copies intact: nothing to move */
	if ((rc = lb_gpt_write(&t->dev, pt, err)))
		goto out;
	if ((rc = lb_dev_sync(&t->dev, err)))
		goto out;
	lb_dev_drop_cache(&t->dev);
	if ((rc = lb_ptable_read(&t->dev, pt, err)))
		goto out;
	if (strcmp(pt->type, "gpt") || !pt->gpt.primary_ok || !pt->gpt.backup_ok) {
		rc = lb_fail(err, LB_EIO, "the GPT rewritten for the size of %s does not read back "
		             "intact", t->dev.path);
		goto out;
	}
	*relocated = 1;
out:
	free(pt);
	return rc;
}
