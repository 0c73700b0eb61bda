/* err.h — filling struct lb_err: the first error wins; callers add context in front. */
#ifndef LB_ERR_H
#define LB_ERR_H
#include "lifeboat.h"

/* Sets err (if no error is recorded yet) and returns code, so: return lb_fail(err, LB_EIO, ...). */
int lb_fail(struct lb_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Puts "context: " in front of an existing message. Returns err->code. */
int lb_context(struct lb_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lb_err_clear(struct lb_err *err);
#endif
