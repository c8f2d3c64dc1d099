// SPDX-License-Identifier: GPL-2.0
/*
 * Container and hierarchy life cycle under adverse conditions.
 *
 * - rmdir commits only once nothing can fail: removing a directory its
 *   caller may not search (the VFS checks only the parent) succeeds, and
 *   afterwards the hierarchy unmounts, is destroyed and the module unloads.
 * - Dropping the last reference to the deepest of thousands of removed
 *   nested containers does not recurse once per level (a kernel stack
 *   overflow would oops, and the guest panics on oops).
 * - A hierarchy is destroyed exactly once, when nothing uses it: mounts
 *   racing the final umount of the same options never fail with ENODEV,
 *   and neither they nor a mount whose fill_super fails tear down another
 *   hierarchy.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "container_util.h"

#define NOBODY 65534
#define DBG "/sys/kernel/debug"

FIXTURE(lc) {
	char dir[64];
	char p[512];
};

FIXTURE_SETUP(lc)
{
	CT_REQUIRE_MODULE();
	strcpy(self->dir, ct_tmpdir());
	ASSERT_EQ(0, ct_mount(self->dir, "none,name=lifecycle"));
}

FIXTURE_TEARDOWN(lc)
{
	ct_cleanup(self->dir);
	ct_load_module();
}

#define P(fmt, ...) (snprintf(self->p, sizeof(self->p), "%s/" fmt, self->dir, ##__VA_ARGS__), self->p)

/* Drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the effective set. */
static int drop_dac_caps(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
	return syscall(SYS_capset, &hdr, data);
}

/*
 * In a child: becomes nobody (or, with !as_nobody, root without the DAC
 * capabilities), makes PARENT/z with mode MODE and removes it. Returns the
 * errno of the rmdir (0: removed), or a negative step number.
 */
static int rmdir_unsearchable(const char *parent, mode_t mode, bool as_nobody)
{
	char z[512];
	int status;
	pid_t pid;

	snprintf(z, sizeof(z), "%s/z", parent);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (as_nobody) {
			if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
				_exit(201);
		} else if (drop_dac_caps()) {
			_exit(202);
		}
		if (mkdir(z, 0755))
			_exit(203);
		if (chmod(z, mode))
			_exit(204);
		_exit(rmdir(z) ? errno : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -2;
	if (WEXITSTATUS(status) > 200)
		return 200 - WEXITSTATUS(status);
	return WEXITSTATUS(status);
}

/*
 * After the umount of the fixture's hierarchy, with no container left: it
 * was destroyed. Mounting its options again gives a fresh, empty tree (a
 * leaked superblock would give the old one back), and the module unloads
 * (when $CONTAINER_KO lets the test load it again).
 */
static void expect_destroyed(struct __test_metadata *_metadata, FIXTURE_DATA(lc) *self)
{
	ASSERT_EQ(0, ct_mount(self->dir, "none,name=lifecycle"));
	EXPECT_FALSE(ct_exists(P("u")));
	EXPECT_FALSE(ct_exists(P("z")));
	EXPECT_FALSE(ct_exists(P("d")));
	ASSERT_EQ(0, umount(self->dir));
	if (getenv("CONTAINER_KO")) {
		EXPECT_EQ(0, ct_unload_module());
		ASSERT_EQ(0, ct_load_module());
	}
}

/*
 * After an rmdir of PARENT/z: z is gone (if a failed rmdir left it, it must
 * still be removable); then the hierarchy unmounts and is destroyed, which
 * the module unloading shows (a leaked superblock pin keeps it loaded).
 */
static void check_removed_and_teardown(struct __test_metadata *_metadata,
				       FIXTURE_DATA(lc) *self, const char *parent)
{
	char z[512], inner[600];

	snprintf(z, sizeof(z), "%s/z", parent);
	snprintf(inner, sizeof(inner), "%s/inner", z);
	if (ct_exists(z)) {
		/* A clean failure must have changed nothing. */
		EXPECT_EQ(0, ct_mkdir(inner));
		EXPECT_EQ(0, ct_rmdir(inner));
		EXPECT_EQ(0, ct_rmdir(z));
	}
	EXPECT_FALSE(ct_exists(z));
	if (strcmp(parent, self->dir))
		EXPECT_EQ(0, ct_rmdir(parent));
	ASSERT_EQ(0, umount(self->dir));
	expect_destroyed(_metadata, self);
}

/* F3: the owner of the parent removes a directory it made unsearchable. */
TEST_F_TIMEOUT(lc, rmdir_unsearchable_as_parent_owner, 120)
{
	int ret;

	ASSERT_EQ(0, ct_mkdir(P("u")));
	ASSERT_EQ(0, chown(P("u"), NOBODY, NOBODY));
	ret = rmdir_unsearchable(P("u"), 0600, true);
	EXPECT_EQ(0, ret) TH_LOG("rmdir of a mode 0600 directory by its owner: %s",
				 ret > 0 ? strerror(ret) : "setup failed");
	check_removed_and_teardown(_metadata, self, P("u"));
}

/* F3: root without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH, mode 000. */
TEST_F_TIMEOUT(lc, rmdir_unsearchable_as_root_without_dac, 120)
{
	int ret = rmdir_unsearchable(self->dir, 0, false);

	EXPECT_EQ(0, ret) TH_LOG("rmdir of a mode 000 directory: %s",
				 ret > 0 ? strerror(ret) : "setup failed");
	check_removed_and_teardown(_metadata, self, self->dir);
}

/* F3: plain root, mode 000. */
TEST_F_TIMEOUT(lc, rmdir_mode_000_as_root, 120)
{
	ASSERT_EQ(0, ct_mkdir(P("z")));
	ASSERT_EQ(0, chmod(P("z"), 0));
	EXPECT_EQ(0, ct_rmdir(P("z")));
	check_removed_and_teardown(_metadata, self, self->dir);
}

/*
 * Levels of the chain: 2000 when soaking, deep enough for a recursive drop
 * to overflow the kernel stack; in make check 100, a sample (each level
 * costs about 90 ms in the emulated debug guest).
 */
static int depth(void)
{
	return ct_soak() ? 2000 : 100;
}

/*
 * Builds a chain of depth() nested containers under FD (relative names:
 * the absolute paths are far beyond PATH_MAX); returns an fd of the
 * deepest.
 */
static int make_chain(int fd)
{
	int i, next;

	fd = dup(fd);
	for (i = 0; i < depth() && fd >= 0; i++) {
		if (mkdirat(fd, "d", 0755)) {
			close(fd);
			return -1;
		}
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	return fd;
}

/* Removes the chain bottom-up from its deepest fd; levels removed. */
static int remove_chain(int fd)
{
	int n = 0, up;

	while (n < depth()) {
		up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		if (up < 0)
			return n;
		fd = up;
		if (unlinkat(fd, "d", AT_REMOVEDIR))
			break;
		n++;
	}
	close(fd);
	return n;
}

/*
 * F4: the last reference to the deepest of depth() removed containers (an
 * open control file; then an open directory) drops the whole chain. A
 * regression guard more than a reproducer: the VFS releases the dentries
 * bottom-up and each directory inode holds its container, so these pins
 * never made the deepest container's drop the last reference to its
 * ancestors even before Container's drop became iterative.
 */
TEST_F_TIMEOUT(lc, deep_chain_dropped_by_last_reference, CT_STRESS_TIMEOUT)
{
	int root, deep, pin, round;

	root = open(self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(root, 0);
	for (round = 0; round < 2; round++) {
		deep = make_chain(root);
		ASSERT_GE(deep, 0);
		pin = round ? dup(deep) : openat(deep, "tasks", O_RDONLY | O_CLOEXEC);
		ASSERT_GE(pin, 0);
		EXPECT_EQ(depth(), remove_chain(deep));
		EXPECT_FALSE(ct_exists(P("d")));
		/* The last reference: the chain goes now. */
		close(pin);
	}
	close(root);
	/* Nothing left pins the superblock. */
	ASSERT_EQ(0, umount(self->dir));
	expect_destroyed(_metadata, self);
}

/* F5: mount/umount loops for a bounded time (5 s, or the soak's time). */
struct looper {
	const char *dir;
	const char *opts;
	bool mkdir_child;
	bool fault;
	time_t deadline;
	int rounds, errors, first_error, faults;
	const char *what;
};

static void fail(struct looper *l, const char *what, int err)
{
	if (!l->errors++) {
		l->first_error = err;
		l->what = what;
	}
}

static void *loop_mounts(void *arg)
{
	struct looper *l = arg;
	char k[512];

	snprintf(k, sizeof(k), "%s/k", l->dir);
	while (time(NULL) < l->deadline) {
		int ret = ct_mount(l->dir, l->opts);

		l->rounds++;
		if (ret) {
			fail(l, "mount", -ret);
			continue;
		}
		if (l->mkdir_child) {
			ret = ct_mkdir(k);
			if (ret)
				fail(l, "mkdir", -ret);
			else if ((ret = ct_rmdir(k)))
				fail(l, "rmdir", -ret);
		}
		if (umount(l->dir))
			fail(l, "umount", errno);
	}
	return NULL;
}

/*
 * Mounts with L->opts while every allocation in turn fails (fail-nth),
 * from the first until one mount succeeds, over and over. A failed mount
 * must fail with ENOMEM.
 */
static void *loop_faulty_mounts(void *arg)
{
	struct looper *l = arg;
	char nth[16], left[16];
	int n = 1, ret;

	while (time(NULL) < l->deadline) {
		snprintf(nth, sizeof(nth), "%d", n);
		if (ct_write("/proc/thread-self/fail-nth", nth)) {
			fail(l, "fail-nth", EINVAL);
			break;
		}
		ret = ct_mount(l->dir, l->opts);
		ct_read("/proc/thread-self/fail-nth", left, sizeof(left));
		ct_write("/proc/thread-self/fail-nth", "0");
		l->rounds++;
		if (atoi(left) == 0)
			l->faults++;
		if (ret == 0) {
			if (umount(l->dir))
				fail(l, "umount", errno);
		} else if (ret != -ENOMEM) {
			fail(l, "mount", -ret);
		}
		n = atoi(left) != 0 ? 1 : n + 1;
	}
	return NULL;
}

static void run_loopers(struct __test_metadata *_metadata, FIXTURE_DATA(lc) *self,
			struct looper *l, int n)
{
	pthread_t t[8];
	int i;

	/* The fixture's hierarchy, with a child, must come through intact. */
	ASSERT_EQ(0, ct_mkdir(P("keep")));
	for (i = 0; i < n; i++) {
		l[i].deadline = time(NULL) + (time_t)ct_stress_seconds(5);
		ASSERT_EQ(0, pthread_create(&t[i], NULL,
					    l[i].fault ? loop_faulty_mounts : loop_mounts, &l[i]));
	}
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < n; i++) {
		TH_LOG("%s -o %s: %d rounds, %d injected faults", l[i].dir, l[i].opts,
		       l[i].rounds, l[i].faults);
		EXPECT_EQ(0, l[i].errors) TH_LOG("%s -o %s: %d errors, first: %s %s",
						 l[i].dir, l[i].opts, l[i].errors,
						 l[i].what, strerror(l[i].first_error));
		EXPECT_GT(l[i].rounds, 0);
	}
	EXPECT_EQ(0, ct_mkdir(P("keep/x")));
	EXPECT_EQ(0, ct_rmdir(P("keep/x")));
	EXPECT_TRUE(ct_file_contains("/proc/mounts", "name=lifecycle"));
	for (i = 0; i < n; i++) {
		umount(l[i].dir);
		rmdir(l[i].dir);
	}
}

/* F5: two mounts of the same options racing each other's final umount, and
 * a hierarchy of other options coming and going. */
TEST_F_TIMEOUT(lc, mount_racing_final_umount, CT_STRESS_TIMEOUT)
{
	char d[3][64];
	struct looper l[3];
	int i;

	for (i = 0; i < 3; i++)
		strcpy(d[i], ct_tmpdir());
	memset(l, 0, sizeof(l));
	l[0] = (struct looper){ .dir = d[0], .opts = "none,name=race" };
	l[1] = (struct looper){ .dir = d[1], .opts = "none,name=race" };
	l[2] = (struct looper){ .dir = d[2], .opts = "none,name=other", .mkdir_child = true };
	run_loopers(_metadata, self, l, 3);
}

/* F5: fill_super fails (fail-nth) while other mounts of the same and of
 * other options come and go. */
TEST_F_TIMEOUT(lc, fill_super_failure_concurrent, CT_STRESS_TIMEOUT)
{
	char d[3][64], wait_save[16] = "", verbose_save[16] = "";
	struct looper l[3];
	int i;

	if (!ct_exists(DBG "/failslab/ignore-gfp-wait") || !ct_exists("/proc/self/fail-nth"))
		SKIP(return, "needs CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS");
	ct_read(DBG "/failslab/ignore-gfp-wait", wait_save, sizeof(wait_save));
	ct_read(DBG "/failslab/verbose", verbose_save, sizeof(verbose_save));
	ct_write(DBG "/failslab/verbose", "0");
	ASSERT_EQ(0, ct_write(DBG "/failslab/ignore-gfp-wait", "N"));
	for (i = 0; i < 3; i++)
		strcpy(d[i], ct_tmpdir());
	memset(l, 0, sizeof(l));
	l[0] = (struct looper){ .dir = d[0], .opts = "none,name=faulty", .fault = true };
	l[1] = (struct looper){ .dir = d[1], .opts = "none,name=faulty" };
	l[2] = (struct looper){ .dir = d[2], .opts = "none,name=other", .mkdir_child = true };
	run_loopers(_metadata, self, l, 3);
	EXPECT_GT(l[0].faults, 0);
	if (wait_save[0])
		ct_write(DBG "/failslab/ignore-gfp-wait", wait_save);
	if (verbose_save[0])
		ct_write(DBG "/failslab/verbose", verbose_save);
}

TEST_HARNESS_MAIN
