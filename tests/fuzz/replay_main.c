/* A libFuzzer-compatible main for replaying inputs without clang: each argument is a file fed
 * once to LLVMFuzzerTestOneInput. Built with gcc and ASan+UBSan for `make check`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *buf = NULL;
		size_t len = 0, cap = 0, n;
		if (!f) {
			perror(argv[i]);
			return 2;
		}
		do {
			if (len == cap) {
				uint8_t *nb = realloc(buf, cap = cap ? cap * 2 : 65536);
				if (!nb)
					return 2;
				buf = nb;
			}
			n = fread(buf + len, 1, cap - len, f);
			len += n;
		} while (n);
		fclose(f);
		fprintf(stderr, "replay %s (%zu bytes)\n", argv[i], len);
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
	}
	return 0;
}
