/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proc_uffd.h - the userfaultfd and PAGEMAP_SCAN kernel ABI that Debian
 * bookworm's linux-libc-dev (6.1) lacks, defined here with the values of
 * the kernel's UAPI headers (include/uapi/linux/userfaultfd.h and fs.h,
 * Linux 6.7 and later). Each definition is guarded, so newer system headers
 * win when they have it.
 *
 * Asynchronous write-protect (UFFD_FEATURE_WP_ASYNC): the kernel resolves a
 * write fault on a write-protected page by itself, clearing the page's
 * uffd-wp bit, instead of queueing a message. PAGEMAP_SCAN on
 * /proc/PID/pagemap then reports the pages whose bit is clear
 * (PAGE_IS_WRITTEN) and, with PM_SCAN_WP_MATCHING, sets it again.
 * UFFD_FEATURE_WP_UNPOPULATED makes anonymous pages never touched yet
 * write-protected too (and is what lets PAGEMAP_SCAN arm anonymous VMAs).
 */
#ifndef PRECOPY_UFFD_UAPI_H
#define PRECOPY_UFFD_UAPI_H

#include <linux/types.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef UFFD_FEATURE_WP_HUGETLBFS_SHMEM
#define UFFD_FEATURE_WP_HUGETLBFS_SHMEM (1 << 12)
#endif
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif

#ifndef PAGEMAP_SCAN
#define PAGEMAP_IOCTL_MAGIC 'f'

/* Page categories of PAGEMAP_SCAN. */
#define PAGE_IS_WPALLOWED (1 << 0)
#define PAGE_IS_WRITTEN (1 << 1)
#define PAGE_IS_FILE (1 << 2)
#define PAGE_IS_PRESENT (1 << 3)
#define PAGE_IS_SWAPPED (1 << 4)
#define PAGE_IS_PFNZERO (1 << 5)
#define PAGE_IS_HUGE (1 << 6)
#define PAGE_IS_SOFT_DIRTY (1 << 7)

/* One output range: [start, end) with the categories in return_mask. */
struct page_region {
	__u64 start;
	__u64 end;
	__u64 categories;
};

/* Flags of struct pm_scan_arg. */
#define PM_SCAN_WP_MATCHING (1 << 0)   /* write-protect matching pages */
#define PM_SCAN_CHECK_WPASYNC (1 << 1) /* fail on VMAs without WP_ASYNC */

struct pm_scan_arg {
	__u64 size;        /* sizeof(struct pm_scan_arg) */
	__u64 flags;
	__u64 start;       /* page aligned */
	__u64 end;
	__u64 walk_end;    /* out: where the walk stopped */
	__u64 vec;         /* struct page_region[vec_len] */
	__u64 vec_len;
	__u64 max_pages;   /* 0: no limit */
	__u64 category_inverted;
	__u64 category_mask;
	__u64 category_anyof_mask;
	__u64 return_mask;
};

#define PAGEMAP_SCAN _IOWR(PAGEMAP_IOCTL_MAGIC, 16, struct pm_scan_arg)
#endif /* PAGEMAP_SCAN */

#endif /* PRECOPY_UFFD_UAPI_H */
