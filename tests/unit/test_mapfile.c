/* Mapfiles: what a run marks becomes '+', '-' and '?' as ddrescue reads them, and reads back. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "mapfile.h"
#include "unit.h"

int main(void)
{
	char path[] = "/tmp/lb-map-XXXXXX";
	int fd = mkstemp(path);
	struct lb_map m;
	struct lb_extents done, bad;
	struct lb_err err = { 0 };
	close(fd);
	CHECK(lb_map_init(&m, path, 1000, NULL, NULL, &err) == 0);
	/* an ordinary chunk [0, 600) written with [100, 300) zero-filled in pass 1; a patch brought
	 * [100, 200) and [250, 300); [200, 250) stayed bad; [600, 1000) not read yet */
	lb_map_mark(&m, LB_MAP_PENDING, 100, 200);
	lb_map_mark(&m, LB_MAP_WRITTEN, 0, 600);
	lb_map_mark(&m, LB_MAP_BAD, 200, 50);
	lb_map_mark(&m, LB_MAP_PATCHED, 100, 100);
	lb_map_mark(&m, LB_MAP_PATCHED, 250, 50);
	CHECK(lb_map_save(&m, 1, &err) == 0);
	lb_map_free(&m);
	CHECK(lb_map_load(path, 1000, &done, &bad, &err) == 0);
	CHECK(done.n == 2 && done.v[0].off == 0 && done.v[0].len == 200 && done.v[1].off == 250 &&
	      done.v[1].len == 350);
	CHECK(bad.n == 1 && bad.v[0].off == 200 && bad.v[0].len == 50);
	lb_ext_free(&done);
	lb_ext_free(&bad);
	/* a retry rescued the bad range: copied, no longer bad */
	CHECK(lb_map_init(&m, path, 1000, NULL, NULL, &err) == 0);
	lb_map_mark(&m, LB_MAP_WRITTEN, 0, 1000);
	lb_map_mark(&m, LB_MAP_BAD, 10, 10);
	lb_map_mark(&m, LB_MAP_PATCHED, 10, 10);
	CHECK(lb_map_save(&m, 1, &err) == 0);
	lb_map_free(&m);
	CHECK(lb_map_load(path, 1000, &done, &bad, &err) == 0);
	CHECK(done.n == 1 && done.v[0].len == 1000 && bad.n == 0);
	lb_ext_free(&done);
	lb_ext_free(&bad);
	/* another disk's mapfile, and no mapfile */
	CHECK(lb_map_load(path, 2000, &done, &bad, &err) == LB_EUSAGE);
	unlink(path);
	CHECK(lb_map_load(path, 1000, &done, &bad, &err) == 1);
	return UNIT_DONE();
}
