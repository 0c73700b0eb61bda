/* lifeboat: the command line. With no command it starts the interactive screens. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "tui.h"

static const char usage[] =
"Usage: lifeboat [COMMAND [ARGS]]\n"
"Backs up, restores, clones and verifies whole disks, and serves backups as disks.\n"
"With no command, starts the interactive screens (the same as 'lifeboat tui').\n"
"\n"
"Commands:\n"
"  list [--json]\n"
"      Every disk: path, size, model, serial, transport, sector sizes, partition table,\n"
"      partitions with filesystem, label, UUID, used/total, and what is mounted.\n"
"      Filesystems and containers are named by libblkid (crypto_LUKS, BitLocker,\n"
"      LVM2_member, linux_raid_member, zfs_member, xfs, btrfs, ...); a second line\n"
"      says why a backup copies a partition raw whatever it holds (encrypted, a RAID\n"
"      or LVM member, two signatures, random-looking data with no signature).\n"
"      --json: {\"secure_boot\": true|false|null (legacy BIOS), \"disks\": [...]}.\n"
"  backup SOURCE IMAGE [--partitions 1,3] [--codec C] [--level N] [--threads N]\n"
"                      [--split SIZE | --no-split] [--note TEXT] [--quiet] [--plan]\n"
"                      [--allow-mounted] [--unallocated] [--encrypt] [--key-file FILE]\n"
"      Saves disk (or disk-image file) SOURCE into IMAGE ('-' = standard output).\n"
"      Filesystems Lifeboat understands (ext2/3/4, NTFS, exFAT, FAT12/16/32, swap) are\n"
"      read by their used blocks only; everything else is copied raw. Zeros cost nothing.\n"
"      A Windows volume left hibernated, dirty or not shut down cleanly, or a dirty exFAT,\n"
"      is never fixed: the plan says its state, and copies it raw when its bitmap cannot\n"
"      be trusted. Outside partitions: the first and last MiB, the partition tables\n"
"      (MBR, EBRs, both GPTs), up to 1 GiB before the first partition and gaps up to\n"
"      16 MiB are copied raw; larger unallocated regions are skipped (the plan lists\n"
"      them; restore leaves the target's bytes there as they were), unless a quick probe\n"
"      finds a filesystem signature there (a deleted partition: kept raw, and said so).\n"
"      Encrypted volumes (LUKS, BitLocker), LVM physical volumes, md RAID and ZFS\n"
"      members, partitions with two signatures and random-looking data with none are\n"
"      copied raw, never by a filesystem's bitmap; the plan says which.\n"
"      --partitions  only these partitions (boot areas are always included)\n"
"      --codec C     zstd (default) or deflate (any zlib decodes such an image's chunks)\n"
"      --level N     of the codec: zstd 1 (fastest) to 19 (smallest, slow), default 3;\n"
"                    deflate 0 (store) to 12, default 2. Each chunk (1 MiB) is compressed\n"
"                    on its own and carries an XXH3-128 checksum.\n"
"      --threads N   compression threads; default: one per core\n"
"      --split SIZE  write segments of SIZE (e.g. 4000M): IMAGE, IMAGE.002, IMAGE.003...\n"
"                    On a FAT destination images are split below 4 GiB by default.\n"
"      --no-split    never split\n"
"      --plan        only print what would be read, and how, then exit\n"
"      --retries N   failing disks: a piece that fails is skipped, and the distance\n"
"                    skipped grows inside a bad zone (the good data first); then the\n"
"                    skipped pieces are read block by block and sector by sector (each\n"
"                    bad sector read alone once); N more passes over what still fails\n"
"                    (default 0). What cannot be read is zeros in the image and listed\n"
"                    in it (exit 6). A disk that disappears stops the backup (exit 1).\n"
"      --mapfile F   keep a GNU ddrescue mapfile of what was read (rewritten every few\n"
"                    seconds); a backup always reads everything again\n"
"      --allow-mounted  copy a source with a filesystem mounted read-write on it (the\n"
"                    disk, a partition, a loop device over the file); refused otherwise,\n"
"                    as it changes while it is copied: the copy is crash-consistent at\n"
"                    best. Read-only mounts are fine. Empty (0-byte) sources are refused.\n"
"      --unallocated keep large unallocated regions too (everything outside partitions)\n"
"      --encrypt     encrypt the image with a passphrase, typed twice on the terminal:\n"
"                    XChaCha20-Poly1305, key by Argon2id (64 MiB, ~0.3 s). Sealed: the\n"
"                    data, the description (source, labels, note, partitions), the index.\n"
"                    Clear: that it is encrypted, how many chunks, where on the disk each\n"
"                    lies and its size. A lost passphrase cannot be recovered.\n"
"      --key-file FILE  the passphrase is FILE's content (one trailing newline dropped);\n"
"                    implies --encrypt. Restore, verify and info take the same option;\n"
"                    without it they ask on the terminal (never on standard input).\n"
"      The image is written as IMAGE.part and renamed when complete and synced. IMAGE\n"
"      is checked first: a folder, a missing or read-only folder, or an existing file\n"
"      that is not a Lifeboat image is refused; an existing image of that name is\n"
"      replaced (said before the copy starts), and stays as it was until then.\n"
"  restore IMAGE TARGET [--partition N [--to M]] [--no-verify] [--yes] [--threads N]\n"
"                       [--resume] [--key-file FILE] [--json]\n"
"      Writes IMAGE ('-' = standard input) onto TARGET (a disk or disk-image file).\n"
"      A larger target is fine (the backup GPT moves to its end); a smaller one is fine\n"
"      when every partition fits, otherwise it is refused with the bytes missing.\n"
"      --partition N  restore only partition N of the image, into TARGET itself (a\n"
"                     partition device or file), or with --to M into partition M of\n"
"                     the disk TARGET; the destination must be at least as large.\n"
"      After writing, what was written is read back and checked (--no-verify skips it).\n"
"      Refuses a target that is mounted or in use, or that holds the image, and a\n"
"      whole-disk restore onto a disk of another logical sector size (512 / 4096: the\n"
"      partition table counts sectors); a lone filesystem may move when its own unit\n"
"      (FAT sector, ext block) is at least the target's sector size. Old GPT headers\n"
"      the target kept outside the image are erased.\n"
"      --resume       first compare each chunk with what the target holds (by checksum)\n"
"                     and write only what differs: finishes an interrupted restore, and\n"
"                     re-images a machine that barely changed quickly. Only the 4 KiB\n"
"                     blocks that differ are written.\n"
"      --json         print a one-line JSON report on standard output (bytes_written,\n"
"                     bytes_skipped, chunks, chunks_written, verify, missing_bytes).\n"
"  verify IMAGE [--against DEVICE] [--key-file FILE]\n"
"      Decodes the whole image and checks every checksum, the index and the totals;\n"
"      --against also compares the image's data with DEVICE. On a disk a GPT image was\n"
"      restored onto at another size (or whose damaged GPT restore repaired), the GPT\n"
"      structures restore rewrote (protective MBR size, primary header, backup GPT) are\n"
"      compared by meaning; on a smaller disk that holds every partition, what restore\n"
"      drops past its end is not compared. Unallocated regions the backup skipped are\n"
"      not in the image: restore does not write them and --against does not compare them.\n"
"  info IMAGE [--json] [--key-file FILE | --ask]\n"
"      The image's description: source disk, date, layout, methods, totals. Of an\n"
"      encrypted image without --key-file or --ask (type the passphrase): only what is\n"
"      clear (format, encrypted, key derivation costs); the rest needs the passphrase.\n"
"  clone SOURCE TARGET [--no-verify] [--yes] [--threads N] [--retries N] [--mapfile F]\n"
"                      [--allow-mounted] [--unallocated]\n"
"      Copies SOURCE onto TARGET directly (used blocks only, as backup does). A failing\n"
"      SOURCE is read as backup reads it (--retries); unreadable sectors are zeros on\n"
"      TARGET and listed (exit 6); the rest is read back and checked.\n"
"      --mapfile F   keep a GNU ddrescue mapfile of what is on TARGET; when F exists, the\n"
"                    clone continues an interrupted one: only what F does not mark copied\n"
"                    is read (its unreadable ranges only with --retries).\n"
"      --allow-mounted, --unallocated as for backup (skipped unallocated regions are\n"
"                    not written: TARGET keeps what it had there).\n"
"  serve IMAGE [--socket PATH | --port N [--bind ADDR]] [--overlay FILE] [--key-file FILE]\n"
"              [--cache N]\n"
"      Serves the backed-up disk over NBD until Ctrl-C / SIGTERM, without restoring:\n"
"      qemu (-drive file=nbd+unix:///?socket=PATH,format=raw), qemu-img convert (to qcow2,\n"
"      vmdk, vhdx), nbd-client, nbdfuse. Ranges the image does not hold read as zeros and\n"
"      are reported as holes; a damaged chunk is an I/O error on its range, never other\n"
"      data. Read-only unless --overlay.\n"
"      --socket PATH  a Unix socket (a stale one is replaced; removed on exit)\n"
"      --port N       TCP port (default 10809 when no --socket), on 127.0.0.1 unless\n"
"      --bind ADDR    another address (0.0.0.0: every interface)\n"
"      --overlay FILE writes go to FILE (copy-on-write, 4 KiB blocks; created if missing,\n"
"                     reused when it belongs to this image); the image is never written\n"
"      --cache N      decoded chunks kept in memory (default 32, 1 MiB each)\n"
"      Up to 16 clients at once; requests over 32 MiB and reads past the end are refused.\n"
"  export IMAGE OUT [--force] [--key-file FILE]\n"
"      Writes the disk as a sparse raw file OUT, equal to a restore onto a blank file\n"
"      (holes where the image holds nothing). Refuses an existing OUT unless --force, and\n"
"      devices (use restore). Unreadable ranges listed in the image: zeros, exit 6.\n"
"  tui [--disk FILE]... [--images-dir DIR] [--boot-disk PATH] [--mnt-dir DIR]\n"
"      [--ascii] [--mono]\n"
"      The interactive screens (docs/TUI.md). --disk: work on these disks or disk-image\n"
"      files only (repeatable); --images-dir: where to look for and save images;\n"
"      --boot-disk: the disk Lifeboat booted from (also LIFEBOAT_BOOT_DISK); --mnt-dir:\n"
"      where destination filesystems are mounted (default /mnt); --ascii: plain line\n"
"      drawing (also LIFEBOAT_ASCII=1); --mono: no colours (also NO_COLOR).\n"
"\n"
"Common options: --quiet (no progress on stderr), --help, --version.\n"
"Restore and clone ask to type 'yes' on the terminal unless --yes is given, and refuse\n"
"an empty (0-byte) target: a card reader with no card, a loop device with no file.\n"
"Ctrl-C cancels cleanly: no image is left under its final name.\n"
"An encrypted image whose tag fails while its CRC is intact is reported ALTERED\n"
"(tampered: authentication failed at chunk N), a CRC failure as damaged (both exit 3).\n"
"\n"
"Exit status: 0 success; 1 error (I/O, out of space...); 2 wrong arguments;\n"
"3 damaged, incomplete or foreign image; 4 refused by a safety check (source mounted\n"
"read-write, empty source or target, an existing file that is not an image) or target\n"
"too small; 5 cancelled; 6 done, but some sectors were unreadable (backup, clone) or are\n"
"missing from the image (restore); 7 verify --against found a difference; 8 wrong\n"
"passphrase for an encrypted image, or none could be asked (no terminal, no --key-file).\n";

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "list", cmd_list }, { "backup", cmd_backup }, { "restore", cmd_restore },
		{ "verify", cmd_verify }, { "info", cmd_info }, { "clone", cmd_clone },
		{ "export", cmd_export }, { "serve", cmd_serve },
	};
	if (argc < 2)
		return tui_main(argc, argv);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("lifeboat %s\n", LB_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "tui")) {
		argv[1] = argv[0];
		return tui_main(argc - 1, argv + 1);
	}
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (!strcmp(argv[1], cmds[i].name)) {
			cli_catch_signals();
			return cmds[i].fn(argc - 1, argv + 1);
		}
	fprintf(stderr, "lifeboat: unknown command '%s'\nTry 'lifeboat --help'.\n", argv[1]);
	return 2;
}
