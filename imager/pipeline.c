/* The bounded, ordered, multi-threaded pipeline behind backup, restore, verify and clone. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "err.h"
#include "pipeline.h"

enum { FREE, FILLED, WORKING, DONE };

struct ring {
	const struct lb_pipe_ops *ops;
	int nslots;
	struct lb_slot *slots;
	int *state;
	pthread_mutex_t mu;
	pthread_cond_t cv;           /* any state change */
	atomic_int abort;
	uint64_t end_seq;            /* producer finished: slots >= end_seq do not exist */
	int producer_done;
	struct lb_err perr;          /* producer's error, reported at end_seq */
};

int lb_default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

void lb_pipeline_shape(int threads, size_t slot_bytes, int *workers, int *slots)
{
	size_t fit = slot_bytes ? LB_PIPE_BUDGET / slot_bytes : 1000;
	int w = threads < 1 ? lb_default_threads() : threads, n;
	if (w > LB_PIPE_MAX_WORKERS)
		w = LB_PIPE_MAX_WORKERS;
	n = 2 * w + 2;
	if ((size_t)n > fit)
		n = fit < 3 ? 3 : (int)fit;
	if (w > n - 1)
		w = n - 1;
	*workers = w;
	*slots = n;
}

static void *aligned(size_t n)
{
	void *p = NULL;
	return posix_memalign(&p, 4096, n ? n : 1) ? NULL : p;
}

static void *producer(void *arg)
{
	struct ring *r = arg;
	for (uint64_t seq = 0;; seq++) {
		int i = (int)(seq % (uint64_t)r->nslots), rc;
		struct lb_slot *s = &r->slots[i];
		pthread_mutex_lock(&r->mu);
		while (r->state[i] != FREE && !r->abort)
			pthread_cond_wait(&r->cv, &r->mu);
		pthread_mutex_unlock(&r->mu);
		if (r->abort)
			rc = 1;
		else {
			s->seq = seq;
			s->offset = 0;
			s->len = 0;
			s->next = 0;
			s->in_len = s->out_len = s->aux_len = 0;
			s->data = NULL;
			s->codec = s->flags = 0;
			s->crc = 0;
			memset(&s->sum, 0, sizeof s->sum);
			s->err_code = 0;
			s->err_msg[0] = 0;
			rc = r->ops->produce(r->ops->ctx, s, &r->perr);
		}
		pthread_mutex_lock(&r->mu);
		if (rc) {
			r->end_seq = seq;
			r->producer_done = 1;
			if (rc != 1 && !r->perr.code)
				lb_fail(&r->perr, rc, "internal error in the reader");
			pthread_cond_broadcast(&r->cv);
			pthread_mutex_unlock(&r->mu);
			return NULL;
		}
		r->state[i] = FILLED;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
}

static void *worker(void *arg)
{
	struct ring *r = arg;
	void *wctx = r->ops->worker_init ? r->ops->worker_init(r->ops->ctx) : NULL;
	for (;;) {
		int pick = -1;
		pthread_mutex_lock(&r->mu);
		for (;;) {
			uint64_t best = UINT64_MAX;
			for (int i = 0; i < r->nslots; i++)
				if (r->state[i] == FILLED && r->slots[i].seq < best) {
					best = r->slots[i].seq;
					pick = i;
				}
			if (pick >= 0 || r->abort)
				break;
			if (r->producer_done) {
				/* nothing filled and nothing more coming */
				break;
			}
			pthread_cond_wait(&r->cv, &r->mu);
		}
		if (pick < 0) {
			pthread_mutex_unlock(&r->mu);
			break;
		}
		r->state[pick] = WORKING;
		pthread_mutex_unlock(&r->mu);
		r->ops->work(r->ops->ctx, wctx, &r->slots[pick]);
		pthread_mutex_lock(&r->mu);
		r->state[pick] = DONE;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
	if (r->ops->worker_fini)
		r->ops->worker_fini(wctx);
	return NULL;
}

int lb_pipeline_run(const struct lb_pipe_ops *ops, int threads, struct lb_err *err)
{
	struct ring r;
	pthread_t prod, *work = NULL;
	int nwork = 0, rc = 0, prod_started = 0;

	memset(&r, 0, sizeof r);
	lb_pipeline_shape(threads, ops->in_cap + ops->out_cap + ops->aux_cap +
	                  LB_SLOT_MAX_EXTENTS * sizeof(struct lb_extent), &threads, &r.nslots);
	r.ops = ops;
	r.slots = calloc((size_t)r.nslots, sizeof *r.slots);
	r.state = calloc((size_t)r.nslots, sizeof *r.state);
	work = calloc((size_t)threads, sizeof *work);
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	if (!r.slots || !r.state || !work)
		goto nomem;
	for (int i = 0; i < r.nslots; i++) {
		struct lb_slot *s = &r.slots[i];
		s->in = aligned(ops->in_cap);
		s->out = ops->out_cap ? aligned(ops->out_cap) : NULL;
		s->aux = ops->aux_cap ? aligned(ops->aux_cap) : NULL;
		s->aux_cap = ops->aux_cap;
		s->ext = malloc(LB_SLOT_MAX_EXTENTS * sizeof *s->ext);
		if (!s->in || (ops->out_cap && !s->out) || (ops->aux_cap && !s->aux) || !s->ext)
			goto nomem;
	}
	if (pthread_create(&prod, NULL, producer, &r))
		goto nomem;
	prod_started = 1;
	for (; nwork < threads; nwork++)
		if (pthread_create(&work[nwork], NULL, worker, &r))
			break;
	if (!nwork) {
		atomic_store(&r.abort, 1);
		goto nomem;
	}

	for (uint64_t next = 0;; next++) {
		int i = (int)(next % (uint64_t)r.nslots);
		struct lb_slot *s = &r.slots[i];
		int stop = 0;
		pthread_mutex_lock(&r.mu);
		while (r.state[i] != DONE && !(r.producer_done && next >= r.end_seq)) {
			/* a producer in slow reads (a failing disk) may keep us waiting: tick meanwhile,
			 * so a cancel is seen within a fraction of a second */
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 200 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			if (pthread_cond_timedwait(&r.cv, &r.mu, &ts) == ETIMEDOUT && ops->tick) {
				pthread_mutex_unlock(&r.mu);
				stop = ops->tick(ops->ctx);
				pthread_mutex_lock(&r.mu);
				if (stop)
					break;
			}
		}
		if (stop) {
			pthread_mutex_unlock(&r.mu);
			rc = lb_fail(err, LB_ECANCELLED, "cancelled");
			break;
		}
		if (r.state[i] != DONE) {
			/* the producer ended here: cleanly or with an error */
			pthread_mutex_unlock(&r.mu);
			if (r.perr.code) {
				*err = r.perr;
				rc = r.perr.code;
			}
			break;
		}
		pthread_mutex_unlock(&r.mu);
		if (s->err_code) {
			rc = lb_fail(err, s->err_code, "%s", s->err_msg);
			break;
		}
		if ((rc = ops->consume(ops->ctx, s, err)))
			break;
		pthread_mutex_lock(&r.mu);
		r.state[i] = FREE;
		pthread_cond_broadcast(&r.cv);
		pthread_mutex_unlock(&r.mu);
		if (ops->tick && ops->tick(ops->ctx)) {
			rc = lb_fail(err, LB_ECANCELLED, "cancelled");
			break;
		}
	}
	goto out;
nomem:
	rc = lb_fail(err, LB_ENOMEM, "out of memory starting the copy (threads or buffers)");
out:
	pthread_mutex_lock(&r.mu);
	atomic_store(&r.abort, 1);
	pthread_cond_broadcast(&r.cv);
	pthread_mutex_unlock(&r.mu);
	if (prod_started)
		pthread_join(prod, NULL);
	for (int i = 0; i < nwork; i++)
		pthread_join(work[i], NULL);
	for (int i = 0; r.slots && i < r.nslots; i++) {
		free(r.slots[i].in);
		free(r.slots[i].out);
		free(r.slots[i].aux);
		free(r.slots[i].ext);
	}
	free(r.slots);
	free(r.state);
	free(work);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	return rc;
}
