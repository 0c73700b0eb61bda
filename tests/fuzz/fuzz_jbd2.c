/* Fuzz target: the JBD2 recovery passes (jbd2.c) on a journal made of the input, 1 KiB
 * blocks, as fs_ext_journal.c feeds it from a journal inode: any bytes must give a replay or
 * a reason, never a crash, a hang, or a write outside the journal or the filesystem. */
#include <string.h>
#include "fuzz.h"
#include "jbd2.h"

struct in { const uint8_t *p; size_t n; };

static int rd(void *ctx, uint32_t n, void *buf)
{
	const struct in *in = ctx;
	uint64_t at = (uint64_t)n * 1024;
	memset(buf, 0, 1024);
	if (at < in->n)
		memcpy(buf, in->p + at, in->n - at < 1024 ? in->n - at : 1024);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	/* a journal of 64 Ki blocks: past the input it reads as zeros, so the seeds (their first
	 * 64 KiB) keep their superblocks' length */
	struct lb_jbd2_src src = { rd, &in, 1u << 16, 1024, 1u << 20 };
	struct lb_jbd2 j;
	char why[160];
	if (lb_jbd2_replay(&src, &j, why, sizeof why) == 0) {
		for (size_t i = 0; i < j.n; i++)
			if (j.w[i].jblk >= src.nblocks || j.w[i].fsblk >= src.fs_blocks ||
			    (i && j.w[i].fsblk <= j.w[i - 1].fsblk))
				__builtin_trap();
		lb_jbd2_free(&j);
	}
	return 0;
}
