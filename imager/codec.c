/* Chunk codecs: libdeflate for DEFLATE, libzstd for zstd. One compressor or decoder context per
 * worker thread, kept for the whole run (creating a zstd context per chunk would cost more
 * than small chunks take to compress). */
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "codec.h"
#include "format.h"
#include "lifeboat.h"

struct lb_enc {
	unsigned codec;
	struct libdeflate_compressor *deflate;
	ZSTD_CCtx *zstd;
};

struct lb_enc *lb_enc_new(unsigned codec, int level)
{
	struct lb_enc *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->codec = codec;
	if (codec == LB_CODEC_DEFLATE) {
		if (!(e->deflate = libdeflate_alloc_compressor(level < 1 ? 1 : level > 12 ? 12 : level)))
			goto fail;
		return e;
	}
	if (!(e->zstd = ZSTD_createCCtx()))
		goto fail;
	/* the content size goes into the frame header; no frame checksum: the chunk's XXH3-128
	 * covers the data, and a dictionary ID is never written */
	if (ZSTD_isError(ZSTD_CCtx_setParameter(e->zstd, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(e->zstd, ZSTD_c_contentSizeFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(e->zstd, ZSTD_c_checksumFlag, 0)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(e->zstd, ZSTD_c_dictIDFlag, 0)))
		goto fail;
	return e;
fail:
	lb_enc_free(e);
	return NULL;
}

void lb_enc_free(struct lb_enc *e)
{
	if (!e)
		return;
	if (e->deflate)
		libdeflate_free_compressor(e->deflate);
	ZSTD_freeCCtx(e->zstd);
	free(e);
}

unsigned lb_enc_codec(const struct lb_enc *e)
{
	return e->codec;
}

size_t lb_enc_run(struct lb_enc *e, const void *in, size_t n, void *out, size_t cap)
{
	size_t r;
	if (!n || !cap)
		return 0;
	if (e->deflate)
		return libdeflate_deflate_compress(e->deflate, in, n, out, cap);
	r = ZSTD_compress2(e->zstd, out, cap, in, n);
	return ZSTD_isError(r) ? 0 : r;   /* dstSize_tooSmall: it did not shrink */
}

struct lb_dec {
	struct libdeflate_decompressor *deflate;
	ZSTD_DCtx *zstd;
};

struct lb_dec *lb_dec_new(void)
{
	struct lb_dec *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->deflate = libdeflate_alloc_decompressor();
	d->zstd = ZSTD_createDCtx();
	/* FORMAT.md lets a reader refuse windows over 16 MiB: a hostile frame cannot make it
	 * reserve more */
	if (!d->deflate || !d->zstd ||
	    ZSTD_isError(ZSTD_DCtx_setParameter(d->zstd, ZSTD_d_windowLogMax, 24))) {
		lb_dec_free(d);
		return NULL;
	}
	return d;
}

void lb_dec_free(struct lb_dec *d)
{
	if (!d)
		return;
	if (d->deflate)
		libdeflate_free_decompressor(d->deflate);
	ZSTD_freeDCtx(d->zstd);
	free(d);
}

int lb_dec_run(struct lb_dec *d, unsigned codec, const void *in, size_t n, void *out, size_t len)
{
	size_t r;
	if (codec == LB_CODEC_DEFLATE)
		return libdeflate_deflate_decompress(d->deflate, in, n, out, len, NULL) ==
		       LIBDEFLATE_SUCCESS ? 0 : -1;
	if (codec != LB_CODEC_ZSTD)
		return -1;
	/* exactly one frame, filling the payload: ZSTD_decompressDCtx would go on into a second */
	if (ZSTD_findFrameCompressedSize(in, n) != n)
		return -1;
	r = ZSTD_decompressDCtx(d->zstd, out, len, in, n);
	return !ZSTD_isError(r) && r == len ? 0 : -1;
}

int lb_codec_levels(const char *codec, int *min, int *max, int *def)
{
	if (!codec || !strcmp(codec, "zstd")) {
		*min = 1;
		*max = 19;
		*def = LB_DEFAULT_LEVEL;
		return LB_CODEC_ZSTD;
	}
	if (!strcmp(codec, "deflate")) {
		*min = 0;
		*max = 12;
		*def = LB_DEFAULT_DEFLATE_LEVEL;
		return LB_CODEC_DEFLATE;
	}
	return -1;
}
