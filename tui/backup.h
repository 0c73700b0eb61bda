/* backup.h — the state the back-up screens share (backup.c runs the flow). */
#ifndef LIFEBOAT_TUI_BACKUP_H
#define LIFEBOAT_TUI_BACKUP_H
#include <limits.h>
#include "ui.h"

struct bk {
	char src[256];
	struct lb_disk_info *disk;
	int *include;             /* per disk partition: ticked */
	char dest_dir[PATH_MAX];
	char dest_fs[16];         /* filesystem type of the destination ("vfat", ...) */
	uint64_t dest_free;
	int dest_ours;            /* the destination was mounted by Lifeboat */
	char name[256];           /* file name of the image */
	int level, verify, split_idx;
	int keep_unalloc;         /* read large unallocated regions too (default: skip them) */
	char note[256];
	int sel_nums[128], nsel;  /* ticked partition numbers, for the engine */
	struct lb_report plan;
	int have_plan;
	int encrypt;              /* with the passphrase typed twice into pass */
	struct tui_pass pass;
};

/* The split choices: index 0 is automatic. */
extern const struct split_choice { const char *label; uint64_t bytes; int no_split; } split_choices[];
extern const int nsplit_choices;

int bk_destination(struct bk *b);   /* 1 chosen, 0 back */
int bk_options(struct bk *b);       /* 1 continue, 0 back */
int bk_summary(struct bk *b);       /* 1 start, 0 back */
void bk_fill_opts(struct bk *b, struct lb_backup_opts *o, char *image, size_t len);
#endif
