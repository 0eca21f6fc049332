// SPDX-License-Identifier: GPL-2.0
/* workvm.c - the workload VM on /dev/kvm (see workvm.h). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/bitops.h"
#include "util/errmsg.h"
#include "guest_abi.h"
#include "workvm.h"
#include "util/paths.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ul << PAGE_SHIFT)
#define LOW_SLOT_BYTES (2ul << 20)
#define MB_INFO_GPA GUEST_MBI_GPA
#define MB_CMDLINE_GPA GUEST_CMDLINE_GPA
#define MB_CMDLINE_MAX GUEST_CMDLINE_MAX
#define COM1 0x3f8

struct workvm {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_len;
	uint8_t *mem;
	uint64_t mem_bytes;
	struct guest_map map;
	enum workvm_log_mode mode;
	struct kvm_dirty_gfn *ring;
	uint32_t ring_entries;
	uint32_t ring_fetch;     /* next ring index to harvest */
	uint64_t *slot_bitmap;   /* scratch for KVM_GET_DIRTY_LOG */
	timer_t timer;
	bool timer_ok;
	bool serial_echo;
	uint64_t last_writes;
	char error[256];
};

static __thread struct kvm_run *volatile tl_run;
static __thread volatile sig_atomic_t tl_timer_fired;

static void on_epoch_timer(int sig)
{
	(void)sig;
	tl_timer_fired = 1;
	if (tl_run)
		tl_run->immediate_exit = 1;
}

/*
 * The default ring: room for every page of the guest (plus KVM's reserved
 * entries), 4096 to 65536 entries (16 bytes each). Between two harvests
 * KVM logs a page at most once, so such a ring cannot fill. A smaller ring
 * relies on ring-full exits, and the 6.18 kernel of these build machines
 * pushes past a full ring (WARNING at virt/kvm/dirty_ring.c:225): the
 * entries are lost and test_hooks failed with "KVM's dirty ring
 * overflowed" in 4 of 8 ring tests on a 32 MiB guest with 4096
 * entries, and in none of 12 with this default.
 */
uint32_t workvm_ring_auto(uint64_t mem_mib)
{
	uint64_t need = (mem_mib << 8) + 64;
	uint32_t n = 4096;

	while (n < need && n < 65536)
		n <<= 1;
	return n;
}

struct workvm_config workvm_config__default(void)
{
	struct workvm_config c = {
		.mem_mib = 256,
		.mode = WORKVM_LOG_RING,
		.ring_entries = 0,	/* workvm_ring_auto() */
		.guest_path = NULL,
		.cmdline = "pattern=hotcold",
		.serial_echo = false,
	};
	return c;
}

const char *workvm__default_guest(void)
{
	static char path[PATH_MAX + 64];
	const char *env = getenv("PRECOPY_GUEST");

	if (env && *env)
		return env;
	/* BIN/../libexec/precopy/guest.elf: the build tree or an install;
	 * on failure path names where it was looked for. */
	paths__helper("guest.elf", path, sizeof(path));
	return path;
}

/* Copy the ELF32 image's PT_LOAD segments to guest memory; *entry gets the
 * entry point. Refuses anything that does not fit. */
static int load_elf32(struct workvm *vm, const char *path, uint32_t *entry,
		      char *err, size_t errlen)
{
	Elf32_Ehdr eh;
	Elf32_Phdr ph;
	int fd, i, ret = -EINVAL;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		errmsg_set(err, errlen, "cannot open guest image %s: %s", path,
			strerror(errno));
		return ret;
	}
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS32 || eh.e_machine != EM_386 ||
	    eh.e_phentsize != sizeof(ph)) {
		errmsg_set(err, errlen, "guest image %s is not a 32-bit x86 ELF",
			path);
		goto cleanup;
	}
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) !=
		    sizeof(ph)) {
			errmsg_set(err, errlen, "guest image %s: truncated "
				"program headers", path);
			goto cleanup;
		}
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (ph.p_filesz > ph.p_memsz ||
		    (uint64_t)ph.p_paddr + ph.p_memsz > vm->mem_bytes ||
		    ph.p_paddr < 0x100000) {
			errmsg_set(err, errlen, "guest image %s: segment at 0x%x "
				"(%u bytes) does not fit in guest memory",
				path, ph.p_paddr, ph.p_memsz);
			goto cleanup;
		}
		if (pread(fd, vm->mem + ph.p_paddr, ph.p_filesz, ph.p_offset) !=
		    (ssize_t)ph.p_filesz) {
			errmsg_set(err, errlen, "guest image %s: truncated "
				"segment", path);
			goto cleanup;
		}
		memset(vm->mem + ph.p_paddr + ph.p_filesz, 0,
		       ph.p_memsz - ph.p_filesz);
	}
	*entry = eh.e_entry;
	ret = 0;
cleanup:
	close(fd);
	return ret;
}

static void write_multiboot_info(struct workvm *vm, const char *cmdline)
{
	struct guest_mb_info *info = (void *)(vm->mem + MB_INFO_GPA);

	memset(info, 0, sizeof(*info));
	info->flags = GUEST_MBI_FLAG_MEM | GUEST_MBI_FLAG_CMDLINE;
	info->mem_lower = 640;
	info->mem_upper = (uint32_t)((vm->mem_bytes >> 10) - 1024);
	info->cmdline = MB_CMDLINE_GPA;
	strcpy((char *)vm->mem + MB_CMDLINE_GPA, cmdline);
}

static int setup_vcpu(struct workvm *vm, uint32_t entry, char *err,
		      size_t errlen)
{
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x08,
		.type = 11, .present = 1, .dpl = 0, .db = 1, .s = 1,
		.l = 0, .g = 1,
	};
	struct kvm_segment data = code;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	data.selector = 0x10;
	data.type = 3;
	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		goto fail;
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.cr0 = 0x11; /* PE | ET, paging off */
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		goto fail;
	memset(&regs, 0, sizeof(regs));
	regs.rip = entry;
	regs.rax = GUEST_MB_BOOT_MAGIC;
	regs.rbx = MB_INFO_GPA;
	regs.rsp = 0x7000;
	regs.rflags = 0x2;
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		goto fail;
	return 0;
fail:
	errmsg_set(err, errlen, "cannot set up the vCPU: %s", strerror(errno));
	return -errno;
}

static int add_slot(struct workvm *vm, uint32_t slot, uint64_t gpa,
		    uint64_t bytes, const char *name, char *err, size_t errlen)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = KVM_MEM_LOG_DIRTY_PAGES,
		.guest_phys_addr = gpa,
		.memory_size = bytes,
		.userspace_addr = (uint64_t)(uintptr_t)(vm->mem + gpa),
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		errmsg_set(err, errlen, "cannot add memory slot %u: %s", slot,
			strerror(errno));
		return -errno;
	}
	return guest_map__add(&vm->map, slot, gpa, bytes >> PAGE_SHIFT,
			   r.userspace_addr, name);
}

static int enable_ring(struct workvm *vm, char *err, size_t errlen)
{
	struct kvm_enable_cap cap = { 0 };
	uint64_t bytes = (uint64_t)vm->ring_entries * sizeof(struct kvm_dirty_gfn);
	int max;

	cap.cap = KVM_CAP_DIRTY_LOG_RING_ACQ_REL;
	max = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, cap.cap);
	if (max <= 0) {
		cap.cap = KVM_CAP_DIRTY_LOG_RING;
		max = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, cap.cap);
	}
	if (max <= 0) {
		errmsg_set(err, errlen, "this kernel's KVM has no dirty ring "
			"(KVM_CAP_DIRTY_LOG_RING)");
		return -EOPNOTSUPP;
	}
	if (bytes > (uint64_t)max) {
		errmsg_set(err, errlen, "dirty ring of %u entries exceeds KVM's "
			"maximum of %d bytes", vm->ring_entries, max);
		return -EINVAL;
	}
	cap.args[0] = bytes;
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
		errmsg_set(err, errlen, "cannot enable the dirty ring: %s",
			strerror(errno));
		return -errno;
	}
	return 0;
}

static int map_ring(struct workvm *vm, char *err, size_t errlen)
{
	size_t bytes = (size_t)vm->ring_entries * sizeof(struct kvm_dirty_gfn);
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, KVM_DIRTY_LOG_PAGE_OFFSET * PAGE_SIZE);

	if (p == MAP_FAILED) {
		errmsg_set(err, errlen, "cannot map the dirty ring: %s",
			strerror(errno));
		return -errno;
	}
	vm->ring = p;
	return 0;
}

static int setup_timer(struct workvm *vm, char *err, size_t errlen)
{
	struct sigevent sev;
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_epoch_timer;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		goto fail;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGUSR1;
	sev._sigev_un._tid = syscall(SYS_gettid); /* sigev_notify_thread_id */
	if (timer_create(CLOCK_MONOTONIC, &sev, &vm->timer) < 0)
		goto fail;
	vm->timer_ok = true;
	return 0;
fail:
	errmsg_set(err, errlen, "cannot set up the epoch timer: %s",
		strerror(errno));
	return -errno;
}

struct workvm *workvm__create(const struct workvm_config *cfg, char *err,
			      size_t errlen)
{
	struct workvm_config c = cfg ? *cfg : workvm_config__default();
	const char *guest = c.guest_path ? c.guest_path : workvm__default_guest();
	struct workvm *vm;
	uint32_t entry = 0;
	int mmap_size;

	if (c.mem_mib < 4 || c.mem_mib > 3072) {
		errmsg_set(err, errlen, "guest memory must be 4..3072 MiB, not "
			"%llu", (unsigned long long)c.mem_mib);
		return NULL;
	}
	if (c.mode == WORKVM_LOG_RING && !c.ring_entries)
		c.ring_entries = workvm_ring_auto(c.mem_mib);
	if (c.mode == WORKVM_LOG_RING &&
	    (c.ring_entries < 64 || c.ring_entries > 65536 ||
	     (c.ring_entries & (c.ring_entries - 1)))) {
		errmsg_set(err, errlen, "dirty ring entries must be a power of "
			"two in 64..65536");
		return NULL;
	}
	if (!c.cmdline)
		c.cmdline = "";
	if (strlen(c.cmdline) >= MB_CMDLINE_MAX) {
		errmsg_set(err, errlen, "guest command line longer than %u bytes",
			MB_CMDLINE_MAX - 1);
		return NULL;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		errmsg_set(err, errlen, "out of memory");
		return NULL;
	}
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
	vm->mode = c.mode;
	vm->ring_entries = c.ring_entries;
	vm->serial_echo = c.serial_echo;
	vm->mem_bytes = c.mem_mib << 20;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		errmsg_set(err, errlen, "cannot open /dev/kvm: %s",
			strerror(errno));
		goto fail;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		errmsg_set(err, errlen, "KVM_CREATE_VM failed: %s",
			strerror(errno));
		goto fail;
	}
	vm->mem = mmap(NULL, vm->mem_bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		errmsg_set(err, errlen, "cannot allocate %llu MiB of guest "
			"memory", (unsigned long long)c.mem_mib);
		goto fail;
	}
	if (c.mode == WORKVM_LOG_RING && enable_ring(vm, err, errlen))
		goto fail;
	if (add_slot(vm, 0, 0, LOW_SLOT_BYTES, "low", err, errlen) ||
	    add_slot(vm, 1, LOW_SLOT_BYTES, vm->mem_bytes - LOW_SLOT_BYTES,
		     "data", err, errlen))
		goto fail;
	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0) {
		errmsg_set(err, errlen, "KVM_CREATE_VCPU failed: %s",
			strerror(errno));
		goto fail;
	}
	mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size <= 0) {
		errmsg_set(err, errlen, "KVM_GET_VCPU_MMAP_SIZE failed");
		goto fail;
	}
	vm->run_len = mmap_size;
	vm->run = mmap(NULL, vm->run_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		errmsg_set(err, errlen, "cannot map kvm_run: %s", strerror(errno));
		goto fail;
	}
	if (c.mode == WORKVM_LOG_RING && map_ring(vm, err, errlen))
		goto fail;
	vm->slot_bitmap = calloc((vm->mem_bytes >> PAGE_SHIFT) / 64 + 1, 8);
	if (!vm->slot_bitmap) {
		errmsg_set(err, errlen, "out of memory");
		goto fail;
	}
	if (load_elf32(vm, guest, &entry, err, errlen))
		goto fail;
	write_multiboot_info(vm, c.cmdline);
	if (setup_vcpu(vm, entry, err, errlen) || setup_timer(vm, err, errlen))
		goto fail;
	return vm;
fail:
	workvm__destroy(vm);
	return NULL;
}

void workvm__destroy(struct workvm *vm)
{
	if (!vm)
		return;
	if (vm->timer_ok)
		timer_delete(vm->timer);
	if (vm->ring)
		munmap(vm->ring, (size_t)vm->ring_entries *
					 sizeof(struct kvm_dirty_gfn));
	if (vm->run)
		munmap(vm->run, vm->run_len);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->mem)
		munmap(vm->mem, vm->mem_bytes);
	free(vm->slot_bitmap);
	free(vm);
}

const struct guest_map *workvm__memmap(const struct workvm *vm)
{
	return &vm->map;
}

uint64_t workvm__pages(const struct workvm *vm)
{
	return guest_map__pages(&vm->map);
}

enum workvm_log_mode workvm__mode(const struct workvm *vm)
{
	return vm->mode;
}

const char *workvm__error(const struct workvm *vm)
{
	return vm->error;
}

void *workvm__guest_mem(const struct workvm *vm, uint64_t *len)
{
	if (len)
		*len = vm->mem_bytes;
	return vm->mem;
}

uint64_t workvm__guest_writes(const struct workvm *vm)
{
	const volatile struct guest_status *st =
		(const void *)(vm->mem + GUEST_STATUS_GPA);
	uint64_t writes, passes;

	if (st->magic != GUEST_STATUS_MAGIC ||
	    guest_status_read_counters(st, &writes, &passes))
		return 0;
	return writes;
}

static void set_bit(uint64_t *bm, uint64_t bit)
{
	bm[bit / 64] |= 1ull << (bit % 64);
}

/* Harvest the dirty ring into truth (may be NULL) and reset it. */
/*
 * Find where the run of dirty entries starts when it is not at our fetch
 * index. KVM pushes entries in ring order, so the dirty ones form one
 * circular run; its start is a dirty entry after a clean one. This host's
 * KVM (6.18, kvm_pvm) can push past a full ring (it emulates guest stores
 * in batches; WARNING at virt/kvm/dirty_ring.c): after the full ring was
 * harvested and reset, KVM still counts the entries it wrote past the end,
 * but their places are clean, and the new dirty run starts after them.
 * Those skipped places are marked harvested, so that KVM_RESET_DIRTY_RINGS
 * walks past them (else it stops at the first, KVM's count of used
 * entries never falls, and the vCPU exits ring-full with nothing to
 * harvest for good); *lost counts them. Returns the number of places
 * skipped (0: the ring holds no dirty entry off our index) and moves
 * ring_fetch to the run.
 */
static uint32_t resync_ring(struct workvm *vm, uint64_t *lost)
{
	uint32_t mask = vm->ring_entries - 1, i, j;

	for (i = 0; i < vm->ring_entries; i++) {
		uint32_t at = (vm->ring_fetch + i) & mask;
		uint32_t prev = (at - 1) & mask;

		if ((vm->ring[at].flags & KVM_DIRTY_GFN_F_DIRTY) &&
		    !(vm->ring[prev].flags & KVM_DIRTY_GFN_F_DIRTY))
			break;
	}
	if (i == vm->ring_entries)
		return 0;
	for (j = 0; j < i; j++) {
		struct kvm_dirty_gfn *e = &vm->ring[(vm->ring_fetch + j) & mask];

		if (!__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET,
					 __ATOMIC_RELEASE);
			(*lost)++;
		}
	}
	vm->ring_fetch += i;
	return i;
}

static int harvest_ring(struct workvm *vm, uint64_t *truth,
			struct workvm_epoch *ep)
{
	uint32_t mask = vm->ring_entries - 1, n = 0;
	int r, tries = 0;

	if (!(__atomic_load_n(&vm->ring[vm->ring_fetch & mask].flags,
			      __ATOMIC_ACQUIRE) & KVM_DIRTY_GFN_F_DIRTY)) {
		if (resync_ring(vm, &ep->ring_lost))
			ep->ring_resyncs++;
	}

	for (;;) {
		struct kvm_dirty_gfn *e = &vm->ring[vm->ring_fetch & mask];
		uint32_t flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
		uint64_t gfn;

		if (!(flags & KVM_DIRTY_GFN_F_DIRTY))
			break;
		if (truth && !guest_map__gfn_of(&vm->map, e->slot, e->offset, &gfn))
			set_bit(truth, gfn);
		__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET,
				 __ATOMIC_RELEASE);
		vm->ring_fetch++;
		n++;
	}
	ep->ring_entries += n;
	if (n >= vm->ring_entries)
		ep->ring_lost++;	/* full to the last entry: KVM may have
					 * written over entries we had not read */
	/* Newer kernels may reset part of the harvested entries per call
	 * (they reschedule or stop on a pending signal): call again until
	 * nothing is left, or KVM keeps reporting the ring full. */
	do {
		r = ioctl(vm->vm_fd, KVM_RESET_DIRTY_RINGS, 0);
		if (r < 0 && errno != EINTR) {
			snprintf(vm->error, sizeof(vm->error),
				 "KVM_RESET_DIRTY_RINGS failed: %s",
				 strerror(errno));
			return -EIO;
		}
	} while (r != 0 && ++tries < 1000);
	return 0;
}

/* Fetch-and-clear each slot's KVM dirty bitmap into truth. */
static int harvest_bitmap(struct workvm *vm, uint64_t *truth)
{
	unsigned int i;

	for (i = 0; i < vm->map.nslots; i++) {
		const struct guest_map_slot *s = &vm->map.slots[i];
		struct kvm_dirty_log log = {
			.slot = s->slot,
			.dirty_bitmap = vm->slot_bitmap,
		};
		uint64_t w, base = s->gpa >> PAGE_SHIFT;

		if (ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0) {
			snprintf(vm->error, sizeof(vm->error),
				 "KVM_GET_DIRTY_LOG failed: %s",
				 strerror(errno));
			return -EIO;
		}
		if (!truth)
			continue;
		for (w = 0; w < (s->npages + 63) / 64; w++) {
			uint64_t bits = vm->slot_bitmap[w];

			while (bits) {
				int b = __builtin_ctzll(bits);

				set_bit(truth, base + w * 64 + b);
				bits &= bits - 1;
			}
		}
	}
	return 0;
}

static void serial_out(struct workvm *vm)
{
	struct kvm_run *r = vm->run;
	uint8_t *data = (uint8_t *)r + r->io.data_offset;
	uint32_t i;

	if (r->io.direction == KVM_EXIT_IO_IN) {
		/* Line status register: transmitter always empty. */
		memset(data, r->io.port == COM1 + 5 ? 0x60 : 0,
		       (size_t)r->io.size * r->io.count);
		return;
	}
	if (r->io.port != COM1 || !vm->serial_echo)
		return;
	for (i = 0; i < r->io.count; i++)
		fputc(data[i * r->io.size], stderr);
}

/* A guest that halted after rejecting its command line (or on a CPU
 * exception) says why in its status block. */
static int check_guest_error(struct workvm *vm)
{
	const volatile struct guest_status *st =
		(const void *)(vm->mem + GUEST_STATUS_GPA);
	char msg[sizeof(st->msg)];
	size_t i;

	if (st->magic != GUEST_STATUS_MAGIC || st->state != GUEST_STATE_ERROR)
		return 0;
	for (i = 0; i < sizeof(msg) - 1 && st->msg[i]; i++)
		msg[i] = st->msg[i];
	msg[i] = '\0';
	snprintf(vm->error, sizeof(vm->error), "the guest stopped: %s", msg);
	return -EIO;
}

static void sleep_until(double deadline)
{
	double left = deadline - clock_now_ms();
	struct timespec ts;

	if (left <= 0 || tl_timer_fired)
		return;
	ts.tv_sec = (time_t)(left / 1e3);
	ts.tv_nsec = (long)((left - ts.tv_sec * 1e3) * 1e6);
	nanosleep(&ts, NULL); /* the epoch timer's signal ends it early */
}

int workvm__run(struct workvm *vm, unsigned int ms, uint64_t *truth,
		struct workvm_epoch *ep)
{
	struct itimerspec its = { 0 };
	struct workvm_epoch local;
	double start = clock_now_ms(), deadline = start + ms;
	uint64_t npages = workvm__pages(vm), w, writes;
	int ret = 0;
	bool halted = false;

	if (!ep)
		ep = &local;
	memset(ep, 0, sizeof(*ep));
	if (truth)
		memset(truth, 0, (npages + 63) / 64 * 8);
	vm->error[0] = '\0';

	tl_run = vm->run;
	tl_timer_fired = 0;
	vm->run->immediate_exit = 0;
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000;
	if (!ms)
		its.it_value.tv_nsec = 1;
	timer_settime(vm->timer, 0, &its, NULL);

	while (!tl_timer_fired) {
		if (halted) {
			sleep_until(deadline);
			continue;
		}
		if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				if (tl_timer_fired)
					break;
				ret = -EINTR;
				break;
			}
			snprintf(vm->error, sizeof(vm->error),
				 "KVM_RUN failed: %s", strerror(errno));
			ret = -EIO;
			break;
		}
		ep->exits++;
		switch (vm->run->exit_reason) {
		case KVM_EXIT_IO:
			serial_out(vm);
			break;
		case KVM_EXIT_HLT:
			halted = true;
			ret = check_guest_error(vm);
			break;
		case KVM_EXIT_DIRTY_RING_FULL: {
			uint64_t before = ep->ring_entries;

			ep->ring_full++;
			ret = harvest_ring(vm, truth, ep);
			if (!ret && ep->ring_entries == before) {
				/* Full, yet nothing where we harvest: KVM ran
				 * past the ring's end and overwrote entries. */
				snprintf(vm->error, sizeof(vm->error),
					 "KVM's dirty ring overflowed: its log "
					 "is lost (guest ran too long between "
					 "exits; boot it with tick=32)");
				ret = -EIO;
			}
			break;
		}
		case KVM_EXIT_MMIO:
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_SHUTDOWN:
			snprintf(vm->error, sizeof(vm->error),
				 "the guest shut down (triple fault?)");
			ret = -EIO;
			break;
		case KVM_EXIT_FAIL_ENTRY:
			snprintf(vm->error, sizeof(vm->error),
				 "VM entry failed, reason 0x%llx",
				 (unsigned long long)vm->run->fail_entry
					 .hardware_entry_failure_reason);
			ret = -EIO;
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			snprintf(vm->error, sizeof(vm->error),
				 "KVM internal error, suberror %u",
				 vm->run->internal.suberror);
			ret = -EIO;
			break;
		default:
			snprintf(vm->error, sizeof(vm->error),
				 "unexpected KVM exit reason %u",
				 vm->run->exit_reason);
			ret = -EIO;
		}
		if (ret)
			break;
	}

	memset(&its, 0, sizeof(its));
	timer_settime(vm->timer, 0, &its, NULL);
	vm->run->immediate_exit = 0;
	tl_run = NULL;

	if (ret != -EIO) {
		int hret = vm->mode == WORKVM_LOG_RING
				   ? harvest_ring(vm, truth, ep)
				   : harvest_bitmap(vm, truth);
		if (hret)
			ret = hret;
	}
	if (truth)
		for (w = 0; w < (npages + 63) / 64; w++)
			ep->dirty_pages += pop64(truth[w]);
	writes = workvm__guest_writes(vm);
	if (writes >= vm->last_writes) { /* 0 while mid-update: keep last */
		ep->guest_writes = writes - vm->last_writes;
		vm->last_writes = writes;
	}
	ep->run_ms = clock_now_ms() - start;
	return ret;
}

int workvm__start(struct workvm *vm, unsigned int timeout_ms)
{
	const volatile struct guest_status *st =
		(const void *)(vm->mem + GUEST_STATUS_GPA);
	unsigned int waited;
	int ret;

	for (waited = 0; waited < timeout_ms; waited += 20) {
		ret = workvm__run(vm, 20, NULL, NULL);
		if (ret)
			return ret;
		if (st->magic == GUEST_STATUS_MAGIC &&
		    (st->state == GUEST_STATE_RUNNING ||
		     st->state == GUEST_STATE_IDLE))
			return 0;
	}
	snprintf(vm->error, sizeof(vm->error), "the guest did not start "
		 "within %u ms", timeout_ms);
	return -ETIMEDOUT;
}
