/* unit.h — the smallest test harness: CHECK counts, main returns non-zero on any failure. */
#ifndef LB_UNIT_H
#define LB_UNIT_H
#include <stdio.h>
static int unit_checks, unit_failures;
#define CHECK(cond) do { unit_checks++; if (!(cond)) { unit_failures++; \
	fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define UNIT_DONE() (printf("%d checks, %d failed\n", unit_checks, unit_failures), unit_failures != 0)
#endif
