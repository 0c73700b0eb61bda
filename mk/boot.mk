# The boot stick: static musl lifeboat, busybox, kernel, initramfs, USB image, qemu targets.
# Included by the top-level Makefile. Slow parts are cached outside the clone in $(LB_CACHE)
# (scripts/lib.sh), keyed by their inputs. docs/BOOT.md explains the pieces.
#
#   make static     out/lifeboat          one static musl executable (engine + CLI + TUI)
#   make kernel     out/bzImage           kernel with the initramfs built in (= BOOTX64.EFI)
#   make initramfs  out/initramfs.cpio
#   make uefi       out/uefi/             shim, GRUB, Debian's signed kernel + initrd (Secure Boot)
#   make usb        out/lifeboat-usb.img  MBR: FAT32 ESP (UEFI + syslinux) + exFAT data partition
#   make netboot    out/netboot/          the same kernels and initramfs for PXE and HTTP boot
#   make run        boot the image in qemu on this terminal with a demo disk and an empty disk
#   make boot-deps  install the Debian packages the boot side needs

LB_CACHE ?= /var/cache/lifeboat
export LB_CACHE
OUT ?= out
MUSL_CC ?= musl-gcc
MUSL_SYSROOT := $(BUILD)/musl-sysroot
STATIC_CFLAGS ?= -Os -ffunction-sections -fdata-sections
STATIC_LIBS := -lext2fs -lcom_err -lzstd -lxxhash -lsodium -ldeflate -lntfs-3g -lblkid -lncursesw -lz -lm -pthread
# libntfs-3g and libblkid are in the sysroot: NTFS by used clusters, libblkid probes on the stick too
STATIC_FEATURES ?= -DLB_HAVE_NTFS3G -DLB_HAVE_BLKID
STATIC_SRCS := $(ENGINE_SRCS) $(CLI_SRCS) $(TUI_SRCS)
STATIC_OBJS := $(STATIC_SRCS:%.c=$(BUILD)/musl/%.o)
BOOT_SCRIPTS := scripts/lib.sh scripts/fetch-sources.sh scripts/sources.pin
FORCE_IF_MISSING = $(if $(wildcard $(1)),,lb-force)

.PHONY: static kernel initramfs uefi usb netboot run boot-deps static-libs busybox lb-force
static: $(OUT)/lifeboat
kernel: $(OUT)/bzImage
initramfs: $(OUT)/initramfs.cpio
usb: $(OUT)/lifeboat-usb.img
uefi: $(OUT)/uefi/.stamp
netboot: $(OUT)/netboot/.stamp
static-libs: $(BUILD)/musl/sysroot.stamp
busybox: $(BUILD)/boot/busybox
lb-force:

boot-deps:
	scripts/install-deps.sh boot

# --- static musl build ---------------------------------------------------------------------------
$(BUILD)/musl/sysroot.stamp: scripts/build-static-libs.sh $(BOOT_SCRIPTS) \
		$(call FORCE_IF_MISSING,$(MUSL_SYSROOT)/.complete) | boot-deps
	scripts/build-static-libs.sh $(MUSL_SYSROOT)
	@mkdir -p $(@D) && touch $@

$(BUILD)/musl/%.o: %.c $(wildcard imager/*.h tui/*.h imager/cli/*.h) $(BUILD)/musl/sysroot.stamp
	@mkdir -p $(@D)
	$(MUSL_CC) $(STATIC_CFLAGS) $(LB_CFLAGS) $(STATIC_FEATURES) -I$(MUSL_SYSROOT)/include -I$(MUSL_SYSROOT)/include/ncursesw \
		-isystem $(MUSL_SYSROOT)/kinclude -MMD -c -o $@ $<

$(BUILD)/musl/lifeboat: $(STATIC_OBJS)
	$(MUSL_CC) -static -Wl,--gc-sections -o $@ $(STATIC_OBJS) -L$(MUSL_SYSROOT)/lib $(STATIC_LIBS)

$(OUT)/lifeboat: $(BUILD)/musl/lifeboat
	@mkdir -p $(@D)
	strip -o $@ $<
	@! readelf -l $@ | grep -q INTERP || { echo "$@ is not static" >&2; exit 1; }

# --- busybox, initramfs, kernel --------------------------------------------------------------
$(BUILD)/boot/busybox: scripts/build-busybox.sh initramfs/busybox.config $(BOOT_SCRIPTS) | boot-deps
	scripts/build-busybox.sh $@

# dbclient: the SSH client of ssh:// repositories (imager/repo_ssh.c)
$(BUILD)/boot/dbclient: scripts/build-dropbear.sh scripts/sources.pin $(BOOT_SCRIPTS) | boot-deps
	scripts/build-dropbear.sh $@

# udp-sender, udp-receiver: multicast (imager/mcast_*.c): static from the pinned source, or
# Debian's binary package with its glibc when the archive serves no source (see the script).
# Status 3 (LB_UDPCAST_FROM=source and no source): the stick is built without them, said
# loudly, unless LB_STRICT_PINS=1. After giving LB_UDPCAST_SRC=DIR, remove
# $(BUILD)/boot/udpcast.stamp to build from it.
$(BUILD)/boot/udpcast.stamp: scripts/build-udpcast.sh scripts/sources.pin $(BOOT_SCRIPTS) | boot-deps
	@mkdir -p $(@D); rm -rf $(@D)/udp-sender $(@D)/udp-receiver $(@D)/udpcast-lib $(@D)/udpcast.release
	rc=0; scripts/build-udpcast.sh $(@D) || rc=$$?; \
	if [ $$rc = 3 ] && [ "$${LB_STRICT_PINS:-}" != 1 ]; then \
		echo "WARNING: the stick is built WITHOUT udpcast: multicast:// will not work on it" >&2; \
	elif [ $$rc != 0 ]; then exit $$rc; fi
	touch $@

INITRAMFS_INPUTS := $(wildcard initramfs/* initramfs/*/*) scripts/mk-initramfs.sh
$(OUT)/initramfs.cpio: $(INITRAMFS_INPUTS) $(OUT)/lifeboat $(BUILD)/boot/busybox $(BUILD)/boot/dbclient $(BUILD)/boot/udpcast.stamp $(BUILD)/musl/sysroot.stamp
	scripts/mk-initramfs.sh $(OUT)/lifeboat $(BUILD)/boot/busybox $(MUSL_SYSROOT) $@

$(OUT)/bzImage: $(OUT)/initramfs.cpio kernel-config/lifeboat.config scripts/build-kernel.sh $(BOOT_SCRIPTS) | boot-deps
	scripts/build-kernel.sh $(OUT)/initramfs.cpio $@

# --- UEFI: Debian's signed shim, GRUB and kernel (scripts/boot-debs.pin), Lifeboat's initramfs ---
UEFI_INPUTS := scripts/mk-uefi.sh scripts/fetch-debs.sh scripts/boot-debs.pin scripts/grub.cfg initramfs/modules.list
$(OUT)/uefi/.stamp: $(OUT)/initramfs.cpio $(UEFI_INPUTS) $(BOOT_SCRIPTS) | boot-deps
	scripts/mk-uefi.sh $(OUT)/initramfs.cpio $(OUT)/uefi
	@touch $@

# --- USB image ------------------------------------------------------------------------------
$(OUT)/lifeboat-usb.img: $(OUT)/bzImage $(OUT)/uefi/.stamp scripts/mk-usb.sh scripts/syslinux.cfg
	scripts/mk-usb.sh $(OUT)/bzImage $@

# --- network boot: PXELINUX, shim + network GRUB, the same kernels (docs/DEPLOY.md) -------------
$(OUT)/netboot/.stamp: $(OUT)/bzImage $(OUT)/uefi/.stamp scripts/mk-netboot.sh scripts/syslinux.cfg \
		scripts/fetch-debs.sh scripts/boot-debs.pin $(BOOT_SCRIPTS)
	scripts/mk-netboot.sh $(OUT)/bzImage $(OUT)/uefi $(OUT)/netboot
	@touch $@

# --- qemu on this terminal: demo disk (GPT, ESP, ext4 with files) + an empty disk -----------------
run: $(OUT)/lifeboat-usb.img
	scripts/run-qemu.sh $(OUT)/lifeboat-usb.img

# --- tests: the boot suite needs the USB image, out/netboot (pxe-boot) and the host lifeboat -----
CHECK_SUITES += boot
CHECK_DEPS += $(OUT)/lifeboat-usb.img $(OUT)/netboot/.stamp
