/* /init of the tiny initramfs tests/boot/serve-boot.test.sh boots from a served image: says
 * that Linux came up from the disk over NBD, with the kernel command line (it carries the
 * test's marker), then powers the VM off. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(void)
{
	char cmd[512] = "";
	int fd;
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	if ((fd = open("/proc/cmdline", O_RDONLY)) >= 0) {
		ssize_t n = read(fd, cmd, sizeof cmd - 1);
		cmd[n > 0 ? n : 0] = 0;
		close(fd);
	}
	if ((fd = open("/dev/console", O_WRONLY)) >= 0) {
		dprintf(fd, "\nLIFEBOAT-LINUX-INIT-OK cmdline: %s\n", cmd);
		close(fd);
	}
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
