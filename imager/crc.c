/* CRC-32 (the zlib/GPT polynomial); libdeflate's is several times faster than a table loop. */
#include <libdeflate.h>
#include "ptable.h"

uint32_t lb_crc32(uint32_t crc, const void *buf, size_t len)
{
	return libdeflate_crc32(crc, buf, len);
}
