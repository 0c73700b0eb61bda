/* The block I/O layer: the memory device (bounds, the zero tail, writes), the fault layer over
 * it and over a file (which reads fail, what passes through, LIFEBOAT_FAULTS syntax), and that
 * the engine's helpers behave the same on every implementation. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "blockdev.h"
#include "err.h"
#include "unit.h"

/* the first error sticks in a struct lb_err: each checked failure gets a clean one */
#define E (lb_err_clear(&err), &err)

static int all(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

static void test_mem(void)
{
	static uint8_t disk[8192], buf[8192];
	struct lb_dev d;
	struct lb_err err = { 0 };
	memset(disk, 0xab, sizeof disk);

	/* read-only, larger than its buffer: the tail reads as zeros */
	CHECK(lb_dev_open_mem(&d, disk, 4096, 1 << 20, 0) == 0);
	CHECK(d.size == 1 << 20 && d.lsec == 512 && d.fd == -1 && !d.is_blk);
	CHECK(lb_dev_pread(&d, buf, 4096, 0) == 0 && all(buf, 4096, 0xab));
	memset(buf, 0x55, sizeof buf);
	CHECK(lb_dev_pread(&d, buf, 1024, 4096 - 512) == 0);
	CHECK(all(buf, 512, 0xab) && all(buf + 512, 512, 0));
	CHECK(lb_dev_pread(&d, buf, 512, (1 << 20) - 512) == 0 && all(buf, 512, 0));
	CHECK(lb_dev_pread(&d, buf, 512, (1 << 20) - 256) == -ENODATA);   /* past the end */
	CHECK(lb_dev_pread(&d, buf, 1, UINT64_MAX) == -ENODATA);
	CHECK(lb_dev_pread_direct(&d, buf, 512, 0) == 0 && all(buf, 512, 0xab));
	CHECK(lb_dev_read(&d, buf, 512, 1 << 20, E) == LB_EIO);
	CHECK(lb_dev_write(&d, buf, 512, 0, E) != 0);   /* read-only */
	CHECK(all(disk, sizeof disk, 0xab));
	CHECK(lb_dev_sync(&d, E) == 0);
	lb_dev_drop_cache(&d);
	lb_dev_close(&d);
	CHECK(d.ops == NULL && d.fd == -1);
	lb_dev_close(&d);   /* closing twice is harmless, and a closed handle does no I/O */
	CHECK(lb_dev_pread(&d, buf, 512, 0) == -EBADF && lb_dev_pread_direct(&d, buf, 512, 0) == -EBADF);
	CHECK(lb_dev_write(&d, buf, 512, 0, E) != 0 && lb_dev_sync(&d, E) == LB_EIO);

	/* writable: writes land in the buffer; the tail cannot hold data */
	CHECK(lb_dev_open_mem(&d, disk, 8192, 0, 1) == 0 && d.size == 8192);
	memset(buf, 0x11, 1024);
	CHECK(lb_dev_write(&d, buf, 1024, 512, E) == 0);
	CHECK(all(disk, 512, 0xab) && all(disk + 512, 1024, 0x11) && all(disk + 1536, 512, 0xab));
	CHECK(lb_dev_write(&d, buf, 1024, 8192 - 512, E) == LB_ETOOSMALL);
	CHECK(lb_dev_zero(&d, 1024, 4096, E) == 0);
	CHECK(all(disk + 512, 512, 0x11) && all(disk + 1024, 4096, 0) && all(disk + 5120, 512, 0xab));
	CHECK(lb_dev_zero(&d, 8192, 1, E) == LB_ETOOSMALL);
	lb_dev_close(&d);

	CHECK(lb_dev_open_mem(&d, disk, 4096, 8192, 1) == 0);
	CHECK(lb_dev_write(&d, buf, 512, 6144, E) == LB_ENOSPACE);   /* the zero tail */
	CHECK(lb_dev_zero(&d, 2048, 4096, E) == 0 && all(disk + 2048, 2048, 0));
	lb_dev_close(&d);
}

static void test_fault_mem(void)
{
	static uint8_t disk[65536], buf[65536];
	struct lb_dev d;
	struct lb_err err = { 0 };
	memset(disk, 0x5a, sizeof disk);

	CHECK(lb_dev_open_mem(&d, disk, sizeof disk, 0, 1) == 0);
	CHECK(lb_dev_add_faults(&d, "4096+512,10000+1", E) == 0);
	CHECK(d.size == sizeof disk && d.writable == 1);   /* public fields survive the wrap */
	CHECK(lb_dev_pread(&d, buf, 4096, 0) == 0 && all(buf, 4096, 0x5a));   /* ends just before */
	CHECK(lb_dev_pread(&d, buf, 512, 4608) == 0);                        /* starts just after */
	CHECK(lb_dev_pread(&d, buf, 1, 4096) == -EIO);
	CHECK(lb_dev_pread(&d, buf, 1, 4607) == -EIO);
	CHECK(lb_dev_pread(&d, buf, 65536, 0) == -EIO);                      /* spans both */
	CHECK(lb_dev_pread(&d, buf, 1, 10000) == -EIO);
	CHECK(lb_dev_pread(&d, buf, 1, 10001) == 0);
	CHECK(lb_dev_pread_direct(&d, buf, 512, 4096) == -EIO);
	CHECK(lb_dev_pread_direct(&d, buf, 512, 8192) == 0);
	CHECK(lb_dev_read(&d, buf, 512, 4096, E) == LB_EIO && strstr(err.msg, "offset 4096"));
	/* writes pass through, even over a faulty range */
	memset(buf, 0x77, 512);
	CHECK(lb_dev_write(&d, buf, 512, 4096, E) == 0 && all(disk + 4096, 512, 0x77));
	CHECK(lb_dev_zero(&d, 0, 1024, E) == 0 && all(disk, 1024, 0));
	CHECK(lb_dev_sync(&d, E) == 0);
	/* layers stack */
	CHECK(lb_dev_add_faults(&d, "20000+10", E) == 0);
	CHECK(lb_dev_pread(&d, buf, 1, 20005) == -EIO && lb_dev_pread(&d, buf, 1, 4096) == -EIO);
	CHECK(lb_dev_pread(&d, buf, 1, 30000) == 0);
	lb_dev_close(&d);   /* frees both layers and the memory device (ASan: no leak) */
	CHECK(d.ops == NULL);
}

static void test_fault_syntax(void)
{
	static uint8_t disk[4096];
	static const char *bad[] = { "12", "1+", "+1", "a+1", "1+2x", "1+2,,3+4", "1-2", " 1+2",
	                             "1+2;3+4" };
	struct lb_dev d;
	struct lb_err err = { 0 };
	char many[2048] = "";
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		CHECK(lb_dev_open_mem(&d, disk, sizeof disk, 0, 0) == 0);
		CHECK(lb_dev_add_faults(&d, bad[i], E) == LB_EUSAGE);
		CHECK(strstr(err.msg, "LIFEBOAT_FAULTS") != NULL);
		CHECK(d.ops && lb_dev_pread(&d, disk, 512, 0) == 0);   /* unchanged on error */
		lb_dev_close(&d);
	}
	for (int i = 0; i < 65; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "%s%d+1", i ? "," : "", i);
	CHECK(lb_dev_open_mem(&d, disk, sizeof disk, 0, 0) == 0);
	CHECK(lb_dev_add_faults(&d, many, E) == LB_EUSAGE);   /* more than it can hold */
	*strrchr(many, ',') = 0;
	CHECK(lb_dev_add_faults(&d, many, E) == 0);           /* 64 is fine */
	CHECK(lb_dev_pread(&d, disk, 1, 63) == -EIO && lb_dev_pread(&d, disk, 1, 64) == 0);
	lb_dev_close(&d);
}

/* The rescue hooks: "gone@X" (from the first read covering X, the device has vanished) and
 * LIFEBOAT_READLOG (one line per read, faults included) */
static void test_gone_and_log(void)
{
	static uint8_t disk[65536], buf[4096];
	char log[] = "/tmp/lb-unit-blockdev-log.XXXXXX", line[256] = "";
	struct lb_dev d;
	struct lb_err err = { 0 };
	FILE *f;
	int fd = mkstemp(log), lines = 0;
	CHECK(fd >= 0);
	close(fd);
	CHECK(lb_dev_open_mem(&d, disk, sizeof disk, 0, 0) == 0);
	setenv("LIFEBOAT_FAULTS", "1024+512,gone@32768", 1);
	setenv("LIFEBOAT_READLOG", log, 1);
	CHECK(lb_dev_test_hooks(&d, E) == 0);
	unsetenv("LIFEBOAT_FAULTS");
	unsetenv("LIFEBOAT_READLOG");
	CHECK(lb_dev_pread(&d, buf, 512, 0) == 0);
	CHECK(lb_dev_pread(&d, buf, 512, 1024) == -EIO);
	CHECK(lb_dev_pread(&d, buf, 4096, 40960) == 0);       /* past X, but X not yet read */
	CHECK(lb_dev_seek(&d, 2048, SEEK_DATA) == 2048);
	CHECK(lb_dev_pread_direct(&d, buf, 4096, 32768 - 512) == -ENODEV);
	CHECK(lb_dev_pread(&d, buf, 512, 0) == -ENODEV);      /* and from then on, everywhere */
	lb_dev_close(&d);
	f = fopen(log, "r");
	CHECK(f != NULL);
	while (f && fgets(line, sizeof line, f))
		lines++;
	CHECK(lines == 5 && !strcmp(line, "0 512 -19\n"));
	if (f)
		fclose(f);
	unlink(log);
	CHECK(lb_dev_open_mem(&d, disk, sizeof disk, 0, 0) == 0);
	CHECK(lb_dev_add_faults(&d, "gone@", E) == LB_EUSAGE);
	CHECK(lb_dev_test_hooks(&d, E) == 0 && d.ops && lb_dev_pread(&d, buf, 512, 0) == 0);
	lb_dev_close(&d);
}

/* Holes: the memory device's zero tail is one; a fault is data, so a hole ends where it starts
 * (the chunker skips holes of sparse images without reading them). */
static void test_seek(void)
{
	static uint8_t disk[4096];
	char path[] = "/tmp/lb-unit-blockdev-sparse.XXXXXX";
	struct lb_dev d;
	struct lb_err err = { 0 };
	int fd;
	CHECK(lb_dev_open_mem(&d, disk, 4096, 1 << 20, 0) == 0);
	CHECK(lb_dev_seek(&d, 0, SEEK_DATA) == 0 && lb_dev_seek(&d, 0, SEEK_HOLE) == 4096);
	CHECK(lb_dev_seek(&d, 4096, SEEK_DATA) == -ENXIO && lb_dev_seek(&d, 5000, SEEK_HOLE) == 5000);
	CHECK(lb_dev_seek(&d, 1 << 20, SEEK_DATA) == -ENXIO);
	{
		uint64_t now = 0;
		CHECK(lb_dev_get_size(&d, &now) == 0 && now == 1 << 20);
	}
	CHECK(lb_dev_add_faults(&d, "100000+512,2000+10", E) == 0);
	CHECK(lb_dev_seek(&d, 4096, SEEK_DATA) == 100000);   /* the hole stops at the fault */
	CHECK(lb_dev_seek(&d, 100200, SEEK_DATA) == 100200); /* inside it: data */
	CHECK(lb_dev_seek(&d, 100512, SEEK_DATA) == -ENXIO);
	CHECK(lb_dev_seek(&d, 0, SEEK_DATA) == 0);
	lb_dev_close(&d);
	CHECK(lb_dev_seek(&d, 0, SEEK_DATA) == -EBADF);

	/* a sparse file: 4 KiB of data, a hole, 4 KiB of data at 1 MiB */
	fd = mkstemp(path);
	CHECK(fd >= 0);
	memset(disk, 1, sizeof disk);
	CHECK(pwrite(fd, disk, 4096, 0) == 4096 && pwrite(fd, disk, 4096, 1 << 20) == 4096);
	close(fd);
	setenv("LIFEBOAT_FAULTS", "524288+4096", 1);
	CHECK(lb_dev_open(&d, path, 0, E) == 0);
	unsetenv("LIFEBOAT_FAULTS");
	{
		int64_t r = lb_dev_seek(&d, 8192, SEEK_DATA);
		/* filesystems without SEEK_DATA report everything as data: then 8192 */
		CHECK(r == 524288 || r == 8192);
	}
	CHECK(lb_dev_seek(&d, 600000, SEEK_DATA) >= 600000);
	{
		/* the size asked again: a file cut short under a reader (a vanished disk) shows */
		uint64_t now = 0;
		CHECK(lb_dev_get_size(&d, &now) == 0 && now == d.size);
		CHECK(truncate(path, 4096) == 0);
		CHECK(lb_dev_get_size(&d, &now) == 0 && now == 4096 && d.size == (1 << 20) + 4096);
	}
	lb_dev_close(&d);
	unlink(path);
}

/* lb_dev_open: LIFEBOAT_FAULTS applies to read-only handles on files, never to writers */
static void test_fault_file(void)
{
	char path[] = "/tmp/lb-unit-blockdev.XXXXXX";
	static uint8_t buf[8192];
	struct lb_dev d;
	struct lb_err err = { 0 };
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	memset(buf, 0x3c, sizeof buf);
	CHECK(write(fd, buf, sizeof buf) == (ssize_t)sizeof buf);
	close(fd);

	setenv("LIFEBOAT_FAULTS", "1024+1024", 1);
	CHECK(lb_dev_open(&d, path, 0, E) == 0);
	CHECK(d.size == 8192 && d.fd >= 0 && !d.is_blk && d.ino != 0);
	CHECK(lb_dev_pread(&d, buf, 1024, 0) == 0 && all(buf, 1024, 0x3c));
	CHECK(lb_dev_pread(&d, buf, 512, 1536) == -EIO);
	CHECK(lb_dev_pread_direct(&d, buf, 512, 1024) == -EIO);
	CHECK(lb_dev_pread(&d, buf, 512, 8192) == -ENODATA);
	lb_dev_close(&d);
	CHECK(d.fd == -1);

	CHECK(lb_dev_open(&d, path, 1, E) == 0);
	CHECK(lb_dev_pread(&d, buf, 512, 1536) == 0);   /* targets never see injected faults */
	memset(buf, 0, 512);
	CHECK(lb_dev_write(&d, buf, 512, 0, E) == 0 && lb_dev_sync(&d, E) == 0);
	CHECK(lb_dev_zero(&d, 4096, 4096, E) == 0);
	CHECK(lb_dev_pread(&d, buf, 8192, 0) == 0 && all(buf, 512, 0) && all(buf + 512, 3584, 0x3c) &&
	      all(buf + 4096, 4096, 0));
	lb_dev_close(&d);

	setenv("LIFEBOAT_FAULTS", "1024:1024", 1);
	CHECK(lb_dev_open(&d, path, 0, E) == LB_EUSAGE && d.ops == NULL);
	unsetenv("LIFEBOAT_FAULTS");
	unlink(path);
}

int main(void)
{
	test_mem();
	test_fault_mem();
	test_fault_syntax();
	test_fault_file();
	test_seek();
	test_gone_and_log();
	return UNIT_DONE();
}
