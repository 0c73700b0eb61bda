/* Progress: counters, a rate over the last few seconds, ETA, and the cancel answer. */
#include <string.h>
#include <time.h>
#include "progress.h"

double lb_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void lb_prog_init(struct lb_prog *g, lb_progress_fn fn, void *ctx)
{
	memset(g, 0, sizeof *g);
	g->fn = fn;
	g->ctx = ctx;
	g->t0 = lb_now();
	g->p.eta = -1;
	g->p.method = "";
}

void lb_prog_phase(struct lb_prog *g, enum lb_phase phase, uint64_t total)
{
	g->p.phase = phase;
	g->p.total = total;
	g->p.done = 0;
	g->win_n = g->win_i = 0;
	g->last_call = 0;
}

int lb_prog_update(struct lb_prog *g, uint64_t done, int force)
{
	double now = lb_now();
	if (g->cancelled)
		return 1;
	g->p.done = done;
	if (!g->fn || (!force && now - g->last_call < 0.1))
		return 0;
	g->last_call = now;
	g->p.elapsed = now - g->t0;
	/* sample once per ~0.5 s; the rate is taken over the oldest kept sample */
	if (!g->win_n || now - g->win_t[(g->win_i + 7) % 8] >= 0.5) {
		g->win_t[g->win_i] = now;
		g->win_done[g->win_i] = done;
		g->win_i = (g->win_i + 1) % 8;
		if (g->win_n < 8)
			g->win_n++;
	}
	{
		int oldest = g->win_n < 8 ? 0 : g->win_i;
		double dt = now - g->win_t[oldest];
		g->p.rate = dt > 0.2 ? (double)(done - g->win_done[oldest]) / dt : 0;
		if (g->p.rate <= 0 && g->p.elapsed > 0.2)
			g->p.rate = (double)done / g->p.elapsed;
	}
	g->p.eta = g->p.rate > 0 && g->p.total >= done ? (double)(g->p.total - done) / g->p.rate : -1;
	if (g->fn(g->ctx, &g->p))
		g->cancelled = 1;
	return g->cancelled;
}
