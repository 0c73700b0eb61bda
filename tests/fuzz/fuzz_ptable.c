/* Fuzz target: the MBR (with its chain of logical partitions) and GPT parsers, the disk
 * description `lifeboat list` prints, and the GPT rewrite restore does. The input is a disk. */
#include <string.h>
#include "fuzz.h"
#include "lifeboat.h"
#include "ptable.h"

static struct lb_ptable t;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lb_dev d;
	struct lb_err err = { 0 };
	struct lb_disk_info info;
	static const unsigned lsec[] = { 512, 4096 };
	void *copy = NULL;

	fuzz_dev(&d, data, size, size, 0);
	for (int i = 0; i < 2; i++) {
		d.lsec = lsec[i];
		if (lb_ptable_read(&d, &t, &err))
			continue;
		(void)lb_ptable_min_size(&t);
		for (int k = 0; k < t.n; k++) {
			const struct lb_ptpart *p = &t.parts[k];
			if (p->start > d.size || p->size > d.size - p->start)
				__builtin_trap();   /* the parser promises to clip to the disk */
		}
		/* a table read as if the disk were larger (restore onto a smaller disk) */
		(void)lb_ptable_read_sized(&d, d.size * 2 + 4096, &t, &err);
	}
	d.lsec = 512;
	if (!lb_ptable_read(&d, &t, &err) && !strcmp(t.type, "gpt")) {
		lb_dev_close(&d);
		copy = fuzz_dev(&d, data, size, size, 1);
		(void)lb_gpt_write(&d, &t, &err);   /* rewrites a copy of the input */
	}
	lb_dev_close(&d);
	/* `list` opens disks by path: the (rewritten) disk once more, as a file in memory */
	if (!lb_disk_probe(fuzz_file(copy ? copy : data, size), &info, &err))
		lb_disk_free(&info);
	free(copy);
	return 0;
}
