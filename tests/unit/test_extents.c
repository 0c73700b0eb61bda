/* Range lists: normalising, subtracting, clipping. */
#include "extents.h"
#include "unit.h"

int main(void)
{
	struct lb_extents x = { 0 };
	lb_ext_add(&x, 100, 50);
	lb_ext_add(&x, 0, 10);
	lb_ext_add(&x, 10, 5);          /* touches the previous: merged on add */
	lb_ext_add(&x, 140, 100);       /* overlaps 100..150 */
	lb_ext_normalize(&x);
	CHECK(x.n == 2 && x.v[0].off == 0 && x.v[0].len == 15 && x.v[1].off == 100 && x.v[1].len == 140);
	CHECK(lb_ext_total(&x) == 155);
	lb_ext_subtract(&x, 120, 10);   /* split */
	CHECK(x.n == 3 && x.v[1].len == 20 && x.v[2].off == 130 && x.v[2].len == 110);
	lb_ext_subtract(&x, 0, 15);     /* remove whole */
	CHECK(x.n == 2 && x.v[0].off == 100);
	lb_ext_subtract(&x, 90, 15);    /* cut head */
	CHECK(x.v[0].off == 105 && x.v[0].len == 15);
	lb_ext_clip(&x, 110, 30);
	CHECK(x.n == 2 && x.v[0].off == 110 && x.v[0].len == 10 && x.v[1].off == 130 && x.v[1].len == 10);
	lb_ext_free(&x);
	CHECK(x.n == 0);
	return UNIT_DONE();
}
