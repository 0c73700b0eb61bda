/* tui.h — the ncurses front end's entry point, called by the lifeboat binary when it is run
 * with no subcommand (or as `lifeboat tui`). */
#ifndef LIFEBOAT_TUI_H
#define LIFEBOAT_TUI_H
int tui_main(int argc, char **argv);
#endif
