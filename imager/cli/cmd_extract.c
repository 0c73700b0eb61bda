#include "cli.h"
int cmd_extract(int argc, char **argv) { return 2; }
