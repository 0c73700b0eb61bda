/* progress.h — rate-limited progress reporting with a cancel answer, for every operation. */
#ifndef LB_PROGRESS_H
#define LB_PROGRESS_H
#include "lifeboat.h"

struct lb_prog {
	lb_progress_fn fn;
	void *ctx;
	double t0, last_call;
	double win_t[8];             /* recent (time, done) samples for the rate */
	uint64_t win_done[8];
	int win_n, win_i;
	struct lb_progress p;
	int cancelled;
};

double lb_now(void);
void lb_prog_init(struct lb_prog *g, lb_progress_fn fn, void *ctx);
void lb_prog_phase(struct lb_prog *g, enum lb_phase phase, uint64_t total);
/* Updates counters; calls the callback at most ~10 times a second (always when force).
 * Returns non-zero once the callback asked to cancel. */
int lb_prog_update(struct lb_prog *g, uint64_t done, int force);
#endif
