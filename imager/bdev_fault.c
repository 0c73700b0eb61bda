/* Fault injection: a layer over another block I/O implementation whose reads fail where the
 * test hooks say, so rescue reading is tested on the code path a failing disk takes
 * (tests/cli/rescue*). Writes, sync and the rest pass through. The hooks, for sources only:
 *   LIFEBOAT_FAULTS="OFF+LEN,...[,gone@X]"  reads touching a range fail with EIO; from the
 *                              first read covering byte X on, every read fails with ENODEV,
 *                              as from an unplugged disk
 *   LIFEBOAT_FAULT_DELAY=ms    a failing read takes that long, like a disk retrying
 *   LIFEBOAT_READLOG=file      one line per read, "offset length result" (tests count reads) */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "blockdev.h"
#include "err.h"

#define MAX_FAULTS 64

struct fault {
	uint64_t off, len;
	int err;                /* the errno a read touching it fails with */
};

struct faulty {
	struct lb_dev lower;    /* the wrapped handle, moved here */
	int n;
	struct fault v[MAX_FAULTS];
	uint64_t gone_at;       /* "gone@X": X + 1 (0 = never) */
	int gone;               /* the device has "vanished": every read fails with ENODEV */
	unsigned delay_ms;
	int logfd;              /* -1: no read log */
};

/* The whole syntax, in one place: "OFF+LEN" in bytes, or "gone@X", separated by commas.
 * Returns 0, or -1 when spec does not follow it (a typo must not mean "no faults"). */
static int parse(const char *spec, struct faulty *f)
{
	while (*spec) {
		char *end;
		if (!strncmp(spec, "gone@", 5) && spec[5] >= '0' && spec[5] <= '9') {
			f->gone_at = strtoull(spec + 5, &end, 10) + 1;
		} else {
			if (f->n == MAX_FAULTS || *spec < '0' || *spec > '9')
				return -1;
			f->v[f->n].off = strtoull(spec, &end, 10);
			if (*end != '+' || end[1] < '0' || end[1] > '9')
				return -1;
			f->v[f->n].len = strtoull(end + 1, &end, 10);
			f->v[f->n++].err = EIO;
		}
		if (*end == ',')
			end++;
		else if (*end)
			return -1;
		spec = end;
	}
	return 0;
}

/* The injected result of reading [off, off+len): 0 = read it for real. */
static int injected(struct faulty *f, size_t len, uint64_t off)
{
	int r = 0;
	if (f->gone_at && off <= f->gone_at - 1 && off + len > f->gone_at - 1)
		f->gone = 1;
	if (f->gone)
		return -ENODEV;
	for (int i = 0; i < f->n && !r; i++)
		if (off < f->v[i].off + f->v[i].len && f->v[i].off < off + len)
			r = -f->v[i].err;
	if (r && f->delay_ms)
		usleep(f->delay_ms * 1000u);
	return r;
}

static int logged(struct faulty *f, size_t len, uint64_t off, int r)
{
	if (f->logfd >= 0) {
		char line[80];
		int n = snprintf(line, sizeof line, "%llu %zu %d\n", (unsigned long long)off, len, r);
		if (write(f->logfd, line, (size_t)n) < 0) {
			close(f->logfd);
			f->logfd = -1;
		}
	}
	return r;
}

static int fault_pread(struct lb_dev *d, void *buf, size_t len, uint64_t off)
{
	struct faulty *f = d->priv;
	int r = injected(f, len, off);
	return logged(f, len, off, r ? r : lb_dev_pread(&f->lower, buf, len, off));
}

static int fault_pread_direct(struct lb_dev *d, void *buf, size_t len, uint64_t off)
{
	struct faulty *f = d->priv;
	int r = injected(f, len, off);
	return logged(f, len, off, r ? r : lb_dev_pread_direct(&f->lower, buf, len, off));
}

static int fault_pwrite(struct lb_dev *d, const void *buf, size_t len, uint64_t off)
{
	struct faulty *f = d->priv;
	return f->lower.ops->pwrite(&f->lower, buf, len, off);
}

static int fault_zero(struct lb_dev *d, uint64_t off, uint64_t len)
{
	struct faulty *f = d->priv;
	return f->lower.ops->zero(&f->lower, off, len);
}

static int fault_sync(struct lb_dev *d)
{
	struct faulty *f = d->priv;
	return f->lower.ops->sync(&f->lower);
}

static void fault_drop_cache(struct lb_dev *d)
{
	struct faulty *f = d->priv;
	lb_dev_drop_cache(&f->lower);
}

static void fault_close(struct lb_dev *d)
{
	struct faulty *f = d->priv;
	lb_dev_close(&f->lower);
	if (f->logfd >= 0)
		close(f->logfd);
	free(f);
}

/* A fault is data (reading it must fail), so a hole ends where a fault, or the point where
 * the device vanishes, starts. */
static int64_t fault_seek(struct lb_dev *d, uint64_t off, int whence)
{
	struct faulty *f = d->priv;
	int64_t r = lb_dev_seek(&f->lower, off, whence);
	uint64_t end;
	if (whence != SEEK_DATA || (r < 0 && r != -ENXIO))
		return r;
	end = r < 0 ? UINT64_MAX : (uint64_t)r;
	for (int i = 0; i < f->n; i++) {
		uint64_t fo = f->v[i].off, fe = fo + f->v[i].len;
		if (fe > off && fo < end && f->v[i].len)
			end = fo > off ? fo : off;
	}
	if (f->gone_at && f->gone_at - 1 < end)
		end = f->gone_at - 1 > off ? f->gone_at - 1 : off;
	return end == UINT64_MAX ? r : (int64_t)end;
}

static int fault_get_size(struct lb_dev *d, uint64_t *size)
{
	struct faulty *f = d->priv;
	return lb_dev_get_size(&f->lower, size);
}

static const struct lb_dev_ops fault_ops = {
	"fault injection", fault_pread, fault_pread_direct, fault_pwrite, fault_zero, fault_sync,
	fault_drop_cache, fault_close, fault_seek, fault_get_size,
};

static int wrap(struct lb_dev *d, const char *spec, unsigned delay_ms, const char *log,
                struct lb_err *err)
{
	struct faulty *f = calloc(1, sizeof *f);
	if (!f)
		return lb_fail(err, LB_ENOMEM, "out of memory");
	f->logfd = -1;
	if (spec && parse(spec, f) < 0) {
		free(f);
		return lb_fail(err, LB_EUSAGE, "LIFEBOAT_FAULTS=%s is not a list of at most %d "
		               "OFFSET+LENGTH byte ranges (and gone@OFFSET) separated by commas",
		               spec, MAX_FAULTS);
	}
	if (log && (f->logfd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		int e = errno;
		free(f);
		return lb_fail(err, LB_EIO, "LIFEBOAT_READLOG: cannot open %s: %s", log, strerror(e));
	}
	f->delay_ms = delay_ms;
	/* The outer handle keeps the public fields (path, size, sectors, fd for ioctls and
	 * identity checks); its operations now go through this layer. */
	f->lower = *d;
	d->ops = &fault_ops;
	d->priv = f;
	return 0;
}

int lb_dev_add_faults(struct lb_dev *d, const char *spec, struct lb_err *err)
{
	return wrap(d, spec, 0, NULL, err);
}

int lb_dev_test_hooks(struct lb_dev *d, struct lb_err *err)
{
	const char *spec = getenv("LIFEBOAT_FAULTS"), *delay = getenv("LIFEBOAT_FAULT_DELAY"),
	           *log = getenv("LIFEBOAT_READLOG");
	if (spec && !*spec)
		spec = NULL;
	if (log && !*log)
		log = NULL;
	if (!spec && !log && !(delay && *delay))
		return 0;
	return wrap(d, spec, delay ? (unsigned)strtoul(delay, NULL, 10) : 0, log, err);
}
