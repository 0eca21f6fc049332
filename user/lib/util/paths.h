/* SPDX-License-Identifier: GPL-2.0 */
/*
 * paths.h - where a command finds the files it runs or loads: from its own
 * location (/proc/self/exe), never from the current folder or the source
 * tree.
 *
 * One layout serves the build tree ($(O), default build/) and an install
 * ($(PREFIX), make install; tools/install/install.mk):
 *
 *   BIN/precopy-*                         the commands (paths__sibling)
 *   BIN/../libexec/precopy/NAME           their helpers (paths__helper):
 *       guest.elf, libprecopy-preload.so, qemu-system-x86_64 (the patched
 *       QEMU, if built), linuxguest/vmlinuz, linuxguest/initrd.cpio.gz
 *
 * Test programs live one folder deeper ($(O)/tests/GROUP/), so helpers
 * are also looked for in BIN/../../libexec/precopy/.
 */
#ifndef PRECOPY_PATHS_H
#define PRECOPY_PATHS_H

#include <stddef.h>

/* The helpers' folder, relative to the folder above bin/. */
#define PATHS_HELPER_DIR "libexec/precopy"

/*
 * paths__self_dir() writes the folder of the running program (no trailing
 * slash) into out. Returns 0, or -ENOENT (no /proc/self/exe) or
 * -ENAMETOOLONG; out is then "." .
 */
int paths__self_dir(char *out, size_t len);

/*
 * paths__helper() writes the path of helper NAME (e.g. "guest.elf",
 * "linuxguest/vmlinuz") into out: the first of BIN/../libexec/precopy/NAME
 * and BIN/../../libexec/precopy/NAME that exists, made absolute with
 * realpath(). Returns 0, or -ENOENT with out holding the first candidate
 * (for the caller's message: "no QEMU at PATH").
 */
int paths__helper(const char *name, char *out, size_t len);

/*
 * paths__sibling() writes BIN/NAME, another command beside the running
 * one, into out. Returns 0 if it is executable, else -ENOENT (out still
 * holds the path).
 */
int paths__sibling(const char *name, char *out, size_t len);

#endif /* PRECOPY_PATHS_H */
