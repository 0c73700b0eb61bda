/* The pipeline's shape: workers and slots for a thread count and a slot size stay within the
 * budget whatever the thread count, and a run with many threads still delivers every slot in
 * order. */
#include <stdlib.h>
#include <string.h>
#include "err.h"
#include "pipeline.h"
#include "unit.h"

static void test_shape(void)
{
	int w, n;
	size_t slot = (size_t)(2300u << 10);   /* 1 MiB chunks: ~2.3 MiB of buffers a slot */
	lb_pipeline_shape(2, slot, &w, &n);
	CHECK(w == 2 && n == 6);                /* small counts as before: 2N+2 */
	lb_pipeline_shape(64, slot, &w, &n);
	CHECK(w <= LB_PIPE_MAX_WORKERS && w >= 1 && w <= n - 1);
	CHECK((size_t)n * slot <= LB_PIPE_BUDGET);
	lb_pipeline_shape(64, 1024, &w, &n);    /* tiny slots: the worker cap rules */
	CHECK(w == LB_PIPE_MAX_WORKERS && n == 2 * LB_PIPE_MAX_WORKERS + 2);
	lb_pipeline_shape(8, (size_t)(40u << 20), &w, &n);   /* slots larger than the budget */
	CHECK(n == 3 && w == 2);
	lb_pipeline_shape(0, slot, &w, &n);     /* default: the core count, still bounded */
	CHECK(w >= 1 && w <= LB_PIPE_MAX_WORKERS && (size_t)n * slot <= LB_PIPE_BUDGET);
}

struct run { uint64_t next, made, bad; };

static int produce(void *ctx, struct lb_slot *s, struct lb_err *err)
{
	struct run *r = ctx;
	if (r->made == 500)
		return 1;
	s->offset = r->made++;
	CHECK(((uintptr_t)s->in | (uintptr_t)s->out | (uintptr_t)s->aux) % 4096 == 0);
	return 0;
}

static void work(void *ctx, void *w, struct lb_slot *s)
{
	memset(s->aux, (int)(s->offset & 0xff), s->aux_cap);
	s->len = (uint32_t)s->offset;
}

static int consume(void *ctx, struct lb_slot *s, struct lb_err *err)
{
	struct run *r = ctx;
	if (s->offset != r->next || s->len != r->next || s->aux[s->aux_cap - 1] != (r->next & 0xff))
		r->bad++;
	r->next++;
	return 0;
}

static void test_run(void)
{
	struct run r = { 0 };
	struct lb_pipe_ops ops;
	struct lb_err err = { 0 };
	memset(&ops, 0, sizeof ops);
	ops.ctx = &r;
	ops.in_cap = ops.out_cap = ops.aux_cap = 1u << 20;
	ops.produce = produce;
	ops.work = work;
	ops.consume = consume;
	CHECK(lb_pipeline_run(&ops, 64, &err) == 0);
	CHECK(r.next == 500 && r.bad == 0);
}

int main(void)
{
	test_shape();
	test_run();
	return UNIT_DONE();
}
