/* Fuzz target: the backup planner over a crafted disk: partition table, every filesystem
 * probe, FAT and swap maps, libext2fs opening crafted ext filesystems (fs_ext), and libntfs-3g
 * mounting crafted NTFS volumes over the engine's handle (fs_ntfs). */
#include "fuzz.h"
#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_dev d;
	struct lb_err err = { 0 };
	static struct lb_plan p;
	fuzz_dev(&d, data, size, size, 0);
	if (lb_plan_build(&d, NULL, 0, 0, &p, &err) == 0) {
		uint64_t prev_end = 0;
		for (size_t i = 0; i < p.ext.n; i++) {
			const struct lb_extent *e = &p.ext.v[i];
			/* the plan reads inside the disk, sorted, without overlaps */
			if (e->off > d.size || e->len > d.size - e->off || (i && e->off < prev_end))
				__builtin_trap();
			prev_end = e->off + e->len;
		}
		(void)lb_plan_part_at(&p, size / 2);
		lb_plan_free(&p);
	}
	lb_dev_close(&d);
	return 0;
}
