/* Temporary: API entry points not implemented yet, so front ends link. Removed as they land. */
#include <string.h>
#include "lifeboat.h"
#define STUB(name, args) int name args { (void)0; return LB_EUNSUPPORTED; }
STUB(lb_disk_list, (struct lb_disk_info **d, int *n, struct lb_err *e))
STUB(lb_disk_probe, (const char *p, struct lb_disk_info *d, struct lb_err *e))
void lb_disk_free(struct lb_disk_info *d) { (void)d; }
void lb_disk_list_free(struct lb_disk_info *d, int n) { (void)d; (void)n; }
void lb_report_free(struct lb_report *r) { (void)r; }
STUB(lb_backup_plan, (const struct lb_backup_opts *o, struct lb_report *p, struct lb_err *e))
STUB(lb_backup, (const struct lb_backup_opts *o, struct lb_report *p, struct lb_err *e))
STUB(lb_image_info, (const char *i, struct lb_image_info *p, struct lb_err *e))
void lb_image_info_free(struct lb_image_info *i) { (void)i; }
STUB(lb_restore_prepare, (const struct lb_restore_opts *o, struct lb_target_plan *p, struct lb_err *e))
STUB(lb_restore, (const struct lb_restore_opts *o, struct lb_report *p, struct lb_err *e))
STUB(lb_verify, (const struct lb_verify_opts *o, struct lb_report *p, struct lb_err *e))
STUB(lb_clone_prepare, (const struct lb_clone_opts *o, struct lb_target_plan *p, struct lb_err *e))
STUB(lb_clone, (const struct lb_clone_opts *o, struct lb_report *p, struct lb_err *e))
const char *lb_code_name(int c) { (void)c; return "error"; }
char *lb_human_size(uint64_t b, char *buf, size_t l) { (void)b; if (l) buf[0] = 0; return buf; }
int lb_parse_size(const char *s, uint64_t *o) { (void)s; (void)o; return -1; }
int lb_exit_status(int c) { return c ? 1 : 0; }
