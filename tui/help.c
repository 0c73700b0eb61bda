/* help.c — the help texts, one per screen, shown full screen with ? or F1 from anywhere. */
#include <string.h>
#include "ui.h"

static const struct { const char *topic, *text; } topics[] = {
{ "home",
"Lifeboat copies whole disks into image files and puts them back.\n"
"\n"
"  Back up   read a disk (all partitions, or some) into an image file\n"
"            saved on another disk, such as a USB drive. Only used space\n"
"            is read for filesystems Lifeboat understands; the rest is\n"
"            copied as it is.\n"
"  Restore   write an image back onto a disk. Everything on that disk is\n"
"            replaced. You will be asked to type the disk's name first.\n"
"  Clone     copy one disk straight onto another, with no image between.\n"
"  Verify    check that an image is complete and undamaged, or compare it\n"
"            with a disk.\n"
"  Browse    look at the files inside an image and copy some of them out,\n"
"            without restoring it.\n"
"  Shell     a command line; type 'exit' to come back.\n"
"\n"
"The disk marked [Lifeboat stick] is the one this system started from.\n"
"[in use] means a partition of that disk is mounted.\n"
"\n"
"Keys everywhere: Up/Down to move, Enter to choose, Esc to go back,\n"
"? or F1 for help, Ctrl-L to redraw the screen.\n"
"On this screen: b r c v f s choose an action, F5 looks for disks again." },
{ "source",
"Choose the disk to copy. Nothing is ever written to it, and it is never\n"
"mounted.\n"
"\n"
"The disk Lifeboat started from is marked; you will rarely want to copy it." },
{ "parts",
"Tick the partitions to include with Space (a = all, n = none).\n"
"\n"
"The partition table, boot code and the gaps between partitions are always\n"
"included, so a restore of the whole image boots like the original did.\n"
"Partitions left out are restored empty (their space is kept)." },
{ "dest",
"Choose where the image is saved.\n"
"\n"
"Filesystems on other disks are listed; choosing one that is not mounted\n"
"mounts it (read-write) under /mnt. The disk being copied is never offered.\n"
"'Browse' lets you pick any directory that is already mounted.\n"
"'A network share' mounts smb://[user@]server/share/folder or\n"
"nfs://server/export/folder (the password is asked for an smb user).\n"
"\n"
"Then pick a folder: Enter opens a folder, '.' (or s) saves in the folder\n"
"shown; m makes a new folder." },
{ "browse",
"Up/Down move, Enter opens a folder or picks a file, Backspace goes up.\n"
"When choosing a folder, press s (or choose '.') to use the folder shown." },
{ "options",
"Left/Right (or Enter) change the selected option.\n"
"\n"
"  Compression  zstd level: 1 is fastest, 3 the default (small and quick);\n"
"               higher levels (up to 19) are slower and a little smaller.\n"
"  Verify       read the image back afterwards and check every checksum.\n"
"  Split        cut the image into pieces. FAT filesystems cannot hold\n"
"               files of 4 GiB or more: 'auto' splits there only.\n"
"  Unallocated  space outside partitions: 'skip large' leaves out regions over\n"
"               16 MiB (past the first GiB before the first partition) unless\n"
"               a filesystem is found there; a restore leaves the target's\n"
"               bytes there as they were. 'keep all' copies everything.\n"
"  Name         the image's file name; c changes it.\n"
"  Note         free text stored in the image (n changes it).\n"
"  Encrypt      yes asks a passphrase twice; the image's data and description\n"
"               are then unreadable without it. A lost passphrase cannot be\n"
"               recovered. Restoring or verifying it asks for the passphrase." },
{ "summary",
"What will be read from each partition, and why.\n"
"  used   only the blocks the filesystem uses\n"
"  raw    every byte (filesystem not recognised, or not safe to trust)\n"
"The image is at most the size shown; compression and empty areas make it\n"
"smaller. Press Enter to start, Esc to change something." },
{ "progress",
"The copy is running. Esc asks whether to stop it; stopping leaves no\n"
"half-written image under the final name.\n"
"Unreadable sectors are skipped, counted here and listed in the log." },
{ "images",
"Images found in the folder given with --images-dir, on filesystems already\n"
"mounted and on the Lifeboat stick. Filesystems of other disks are listed\n"
"below them and mounted only when you choose one: read-only, the device\n"
"marked read-only, no journal replayed, so nothing is written to a disk you\n"
"came to rescue. Once an image is chosen the others are unmounted again; the\n"
"disk holding the image cannot be a restore target. 'Browse' looks elsewhere.\n"
"N: an image on a network share (smb://[user@]server/share/path/pc.lbi or\n"
"nfs://server/export/path/pc.lbi), mounted read-only." },
{ "image",
"What the image holds. Choose to restore the whole disk, or only one\n"
"partition into a partition of another disk." },
{ "target",
"Choose the disk (or partition) to write to. Everything on it is replaced.\n"
"The next screen compares its size with the image's and asks you to confirm\n"
"by typing its name." },
{ "verify",
"Verify reads the whole image and checks every checksum.\n"
"'Compare with a disk' also reads a disk and reports whether it still\n"
"matches the image." },
{ "browse-image",
"Browse an image: the files of one partition of an image, read straight\n"
"from the image (nothing is mounted, nothing is written to it).\n"
"\n"
"  Enter / Right   open a folder      Backspace / Left   up one folder\n"
"  Space           mark or unmark the file or folder (a folder: all of it)\n"
"  c or F5         copy what is marked (nothing marked: the entry under the\n"
"                  cursor) into a folder you choose; files already there\n"
"                  are not replaced\n"
"  u               unmark everything      Esc   back to the partitions\n"
"\n"
"[*] is marked, [+] is inside a marked folder. The line at the bottom says\n"
"how many files and bytes are marked. The copy shows its progress (Esc asks\n"
"before stopping) and then what was copied, naming every file that could\n"
"not be read from the image. A read-only folder (such as the filesystem the\n"
"image was found on) cannot be chosen as the destination.\n"
"An encrypted image asks for its passphrase first." },
{ "clone",
"Clone copies a disk onto another disk directly. The target is overwritten;\n"
"if it is larger, the partition table is moved to its end." },
};

void ui_help(const char *topic)
{
	const char *text = topics[0].text;
	for (size_t i = 0; i < sizeof topics / sizeof *topics; i++)
		if (!strcmp(topics[i].topic, topic)) text = topics[i].text;
	int top = 0;
	for (;;) {
		if (!ui_too_small()) {
			ui_frame("Help", "Esc=Back  Up/Down=Scroll  ?=All about Lifeboat");
			const char *p = text;
			int line = 0, y = 2;
			while (*p) {
				const char *nl = strchr(p, '\n');
				int n = nl ? (int)(nl - p) : (int)strlen(p);
				if (line >= top && y < LINES - 2) ui_put(y++, 2, COLS - 4, 0, 0, "%.*s", n, p);
				line++;
				p += n + (nl ? 1 : 0);
			}
			refresh();
		}
		int k = ui_getkey(-1);
		if (k == ERR || k == KEY_ESC || k == 'q' || k == '\n' || k == '\r') break;
		if (k == KEY_DOWN) top++;
		if (k == KEY_UP && top > 0) top--;
		if (k == '?' && text != topics[0].text) { text = topics[0].text; top = 0; }
	}
	ui_backdrop();
}
