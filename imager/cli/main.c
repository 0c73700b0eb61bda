#include <stdio.h>
#include <string.h>
#include "lifeboat.h"
#include "tui.h"
int main(int argc, char **argv)
{
	if (argc < 2) return tui_main(argc, argv);
	fprintf(stderr, "lifeboat: not built yet\n");
	return 2;
}
