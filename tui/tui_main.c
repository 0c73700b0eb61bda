/* Placeholder until the TUI lands: says so and points at the command line. */
#include <stdio.h>
#include "tui.h"

int tui_main(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "lifeboat: the interactive screens are not built yet; see 'lifeboat --help'\n");
	return 1;
}
