/* probe_blkid.c: the entropy rule, and lb_probe_area over a handle with no plain descriptor
 * (a buffer in memory: libblkid reads a memfd window), where libblkid names a LUKS header and
 * vetoes it, random bytes are called random, zeros are nothing, and an ext superblock is our
 * ext module's (used blocks), libblkid agreeing. */
#include <stdlib.h>
#include <string.h>
#include "probe.h"
#include "unit.h"

#define MiB (1u << 20)

static void test_entropy(void)
{
	static uint8_t b[4096];
	memset(b, 0, sizeof b);
	CHECK(lb_byte_entropy(b, sizeof b) == 0);
	for (size_t i = 0; i < sizeof b; i++)
		b[i] = (uint8_t)i;       /* every byte value equally often: 8 bits exactly */
	CHECK(lb_byte_entropy(b, sizeof b) > 7.999);
	for (size_t i = 0; i < sizeof b; i++)
		b[i] = "the quick brown fox jumps over the lazy dog "[i % 44];
	CHECK(lb_byte_entropy(b, sizeof b) < 5);
	srand(3);
	for (size_t i = 0; i < sizeof b; i++)
		b[i] = (uint8_t)(rand() >> 7);
	CHECK(lb_byte_entropy(b, sizeof b) > LB_RANDOM_ENTROPY);
}

static void test_area(void)
{
	size_t len = 8 * MiB;
	uint8_t *buf = calloc(1, len);
	struct lb_dev d;
	struct lb_probe pr;
	CHECK(buf != NULL);
	if (!buf)
		return;
	CHECK(lb_dev_open_mem(&d, buf, len, 0, 0) == 0);
	lb_probe_area(&d, 0, len, &pr);
	CHECK(!pr.fs && !pr.info.type[0] && !pr.note[0] && !pr.usage[0]);

	srand(5);
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(rand() >> 7);
	lb_probe_area(&d, 0, len, &pr);
	CHECK(!pr.fs && !strcmp(pr.usage, "random") && strstr(pr.note, "random-looking"));
	/* one sample of text among random ones: not the random rule */
	memset(buf + MiB, 'a', 4096);
	lb_probe_area(&d, 0, len, &pr);
	CHECK(!pr.fs && !pr.note[0]);

#ifdef LB_HAVE_BLKID
	/* a LUKS1 header: magic, version 1, cipher, UUID */
	memset(buf, 0, 4096);
	memcpy(buf, "LUKS\xba\xbe\0\1aes", 11);
	memcpy(buf + 168, "0a1b2c3d-0000-4000-8000-123456789abc", 36);
	lb_probe_area(&d, 0, len, &pr);
	CHECK(!pr.fs && !strcmp(pr.info.type, "crypto_LUKS") && !strcmp(pr.version, "1"));
	CHECK(!strcmp(pr.note, "LUKS1: encrypted, copied raw"));
	CHECK(!strcmp(pr.info.uuid, "0a1b2c3d-0000-4000-8000-123456789abc"));
	CHECK(!strcmp(pr.usage, "crypto"));
	/* the same header 1 MiB into a larger area, probed at that offset */
	memmove(buf + MiB, buf, 4096);
	memset(buf, 0, 4096);
	lb_probe_area(&d, MiB, len - MiB, &pr);
	CHECK(!strcmp(pr.info.type, "crypto_LUKS"));
	lb_probe_area(&d, 0, len, &pr);
	CHECK(strcmp(pr.info.type, "crypto_LUKS"));
#endif
	/* outside the device: nothing, and no read */
	lb_probe_area(&d, len, 4096, &pr);
	CHECK(!pr.info.type[0]);
	lb_dev_close(&d);
	free(buf);
}

int main(void)
{
	test_entropy();
	test_area();
	return UNIT_DONE();
}
