// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile input: every writable file and every mount option gets a table
 * of malformed values (empty, whitespace, signs, 2^64 and beyond, binary,
 * an embedded NUL, 64 KiB, ...). Each must fail with the documented errno
 * (Documentation/container.rst, section 6, cpuset.rst, net_flow.rst) and
 * change nothing: the file reads back the same and no task moved. Then a
 * seeded random-operation fuzzer drives the file interface for a bounded
 * time and checks that the counts still agree. The splat check of
 * `make check` catches any WARN, oops or leak on the way.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "container_util.h"

/* An errno a bad value may get where two are reasonable (overflow: ERANGE
 * from the parser or EINVAL). */
#define EINVAL_OR_ERANGE (-1)

struct bad {
	const char *val;
	size_t len;	/* 0: strlen(val) */
	int err;	/* positive errno, or EINVAL_OR_ERANGE */
};

#define B(v, e) { v, sizeof(v) - 1, e }

/* Bad for every number-taking file. */
static const struct bad bad_number[] = {
	B("", EINVAL),
	B(" ", EINVAL),
	B("\n", EINVAL),
	B("abc", EINVAL),
	B("1 2", EINVAL),
	B("1\n2", EINVAL),
	B("0x", EINVAL),
	B("1\0" "5", EINVAL),
	B("\x01\xff\xfe\x80", EINVAL),
	B("18446744073709551616", EINVAL_OR_ERANGE),
	B("99999999999999999999999999999999", EINVAL_OR_ERANGE),
};

/* Bad for a pid (tasks, container.procs, /proc/container_membership). */
static const struct bad bad_pid[] = {
	B("-1", EINVAL),
	B("-0x1", EINVAL),
	B("2147483648", EINVAL_OR_ERANGE),
	B("4294967297", EINVAL_OR_ERANGE),
};

/* Bad for a CPU or node list. */
static const struct bad bad_list[] = {
	B("abc", EINVAL),
	B("-1", EINVAL),
	B("1-", EINVAL),
	B("3-1", EINVAL),
	B("0-1-2", EINVAL),
	B("1 2", EINVAL),
	B("0\0" "1", EINVAL),
	B("\x01\xff", EINVAL),
	B("0-18446744073709551616", EINVAL_OR_ERANGE),
	B("4096", EINVAL),
};

/* Bad for a class id. */
static const struct bad bad_classid[] = {
	B("-1", EINVAL),
	B("0x100000000", EINVAL_OR_ERANGE),
	B("1:10", EINVAL),
	B("", EINVAL),
};

FIXTURE(h) {
	char root[64];
	char p[512];
};

FIXTURE_SETUP(h)
{
	CT_REQUIRE_MODULE();
	strcpy(self->root, ct_tmpdir());
	ASSERT_EQ(0, ct_mount(self->root, "cpuset,memset,net_flow,debug"));
	ASSERT_EQ(0, ct_mkdir(strcat(strcpy(self->p, self->root), "/a")));
}

FIXTURE_TEARDOWN(h)
{
	ct_cleanup(self->root);
}

#define P(fmt, ...) (snprintf(self->p, sizeof(self->p), "%s/" fmt, self->root, ##__VA_ARGS__), self->p)

/* One write(2) of LEN bytes of VAL to PATH; 0 or -errno. */
static int write_raw(const char *path, const char *val, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, len) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Shows VAL printably for the log. */
static const char *show(const char *val, size_t len)
{
	static char out[96];
	size_t o = 0;

	for (size_t i = 0; i < len && o < sizeof(out) - 5; i++) {
		unsigned char c = val[i];

		if (c >= 0x20 && c < 0x7f)
			out[o++] = c;
		else
			o += snprintf(out + o, sizeof(out) - o, "\\x%02x", c);
	}
	out[o] = 0;
	return out;
}

/*
 * Writes each of N bad values to PATH: each must fail with its errno and
 * leave every file in WATCH (PATH itself first) reading as before.
 * Returns the number of failures (each one logged).
 */
static int try_bad(struct __test_metadata *_metadata, const char *path,
		   const struct bad *bad, size_t n, const char *const *watch)
{
	char before[8][4096], after[4096];
	int fails = 0;

	for (size_t w = 0; watch[w]; w++)
		if (ct_read(watch[w], before[w], sizeof(before[w])) < 0)
			before[w][0] = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = bad[i].len;
		int ret = write_raw(path, bad[i].val, len);
		bool ok = bad[i].err == EINVAL_OR_ERANGE ?
			  (ret == -EINVAL || ret == -ERANGE) : ret == -bad[i].err;

		if (!ok) {
			TH_LOG("%s: writing \"%s\" gave %d (%s)", path, show(bad[i].val, len), ret,
			       ret ? strerror(-ret) : "success");
			fails++;
		}
		for (size_t w = 0; watch[w]; w++) {
			if (ct_read(watch[w], after, sizeof(after)) < 0)
				after[0] = 0;
			if (strcmp(before[w], after)) {
				TH_LOG("%s changed after writing \"%s\" to %s", watch[w],
				       show(bad[i].val, len), path);
				fails++;
			}
		}
	}
	return fails;
}

#define TRY_BAD(path, table, ...)						\
	({									\
		char __path[512];						\
		snprintf(__path, sizeof(__path), "%s", path);			\
		try_bad(_metadata, __path, table, ARRAY_SIZE(table),		\
			(const char *const[]){ __path, ##__VA_ARGS__, NULL });	\
	})

/* A buffer of 64 KiB of '1': beyond every file's limit. */
static char huge[65536];

TEST_F(h, every_file_refuses_bad_values)
{
	static const char *const flags[] = { "notify_on_release", "container.clone_children",
					     "cpuset.cpu_exclusive", "memset.mem_exclusive" };
	const struct bad too_big[] = { { huge, sizeof(huge), E2BIG } };
	char a_tasks[512];
	pid_t child;
	int fails = 0;

	memset(huge, '1', sizeof(huge));
	/* a gets CPUs and a node first: an empty cpuset takes no task. */
	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "1-2"));
	ASSERT_EQ(0, ct_write(P("a/memset.mems"), "1"));
	ASSERT_EQ(0, ct_write(P("a/net_flow.classid"), "0x10010"));
	child = ct_spawn_sleeper();
	ASSERT_LT(0, child);
	ASSERT_EQ(0, ct_write_id(P("a/tasks"), child));
	snprintf(a_tasks, sizeof(a_tasks), "%s/a/tasks", self->root);

	/*
	 * Moves: nothing moves. The hierarchy has only the root and a, so a
	 * move into or out of the root changes a's file too. (Not the root's
	 * file itself: it lists every task of the system, and kernel workers
	 * come and go on their own; under load that changed it between two
	 * reads.)
	 */
	for (int i = 0; i < 2; i++) {
		const char *f = i ? "a/container.procs" : "a/tasks";

		fails += TRY_BAD(P("%s", f), bad_number, a_tasks);
		fails += TRY_BAD(P("%s", f), bad_pid, a_tasks);
		fails += TRY_BAD(P("%s", f), too_big, a_tasks);
		fails += TRY_BAD(P("%s", f), ((const struct bad[]){ B("4000000", ESRCH) }),
				 a_tasks);
	}
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		fails += TRY_BAD(P("a/%s", flags[i]), bad_number);
		fails += TRY_BAD(P("a/%s", flags[i]), too_big);
	}
	fails += TRY_BAD(P("a/cpuset.cpus"), bad_list);
	fails += TRY_BAD(P("a/cpuset.cpus"), too_big);
	fails += TRY_BAD(P("a/memset.mems"), bad_list);
	fails += TRY_BAD(P("a/memset.mems"), too_big);
	fails += TRY_BAD(P("a/net_flow.classid"), bad_number);
	fails += TRY_BAD(P("a/net_flow.classid"), bad_classid);
	fails += TRY_BAD(P("a/net_flow.classid"), too_big);
	fails += TRY_BAD(P("release_agent"), too_big);
	/* The child's affinity did not change either. */
	{
		char v[64];

		ASSERT_EQ(0, ct_status_field(child, "Cpus_allowed_list", v, sizeof(v)));
		EXPECT_STREQ("1-2", v);
	}
	ct_reap(child);
	EXPECT_EQ(0, fails);
}

TEST_F(h, membership_file_refuses_bad_pids)
{
	const struct bad too_big[] = { { huge, sizeof(huge), E2BIG } };
	int fd, fails = 0;

	memset(huge, '1', sizeof(huge));
	if (!ct_exists("/proc/container_membership"))
		SKIP(return, "no /proc/container_membership");
	/* Each write is checked on a fresh open file: it keeps no state. */
	fails += TRY_BAD("/proc/container_membership", bad_number);
	fails += TRY_BAD("/proc/container_membership", bad_pid);
	fails += TRY_BAD("/proc/container_membership", too_big);
	/* A failed write leaves the open file's answer as it was. */
	fd = open("/proc/container_membership", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, write(fd, "1", 1));
	EXPECT_EQ(-1, write(fd, "abc", 3));
	EXPECT_EQ(EINVAL, errno);
	{
		char a[4096], b[4096];
		ssize_t na, nb;

		na = pread(fd, a, sizeof(a) - 1, 0);
		ASSERT_LT(0, na);
		a[na] = 0;
		ASSERT_EQ(0, ct_write("/proc/self/comm", "hostile"));
		nb = pread(fd, b, sizeof(b) - 1, 0);
		ASSERT_LT(0, nb);
		b[nb] = 0;
		EXPECT_STREQ(a, b);
	}
	close(fd);
	EXPECT_EQ(0, fails);
}

TEST_F(h, bad_names_are_refused)
{
	char name[300];

	EXPECT_EQ(-EINVAL, ct_mkdir(P("a/x\ny")));
	EXPECT_FALSE(ct_exists(P("a/x\ny")));
	memset(name, 'n', 256);
	name[256] = 0;
	EXPECT_EQ(-ENAMETOOLONG, ct_mkdir(P("a/%s", name)));
	EXPECT_EQ(-EEXIST, ct_mkdir(P("a/tasks")));
	EXPECT_EQ(-EEXIST, ct_mkdir(P("a/cpuset.cpus")));
	EXPECT_EQ(-EEXIST, ct_mkdir(P("a/.")));
	{
		char from[512], to[512];

		/* Two buffers: P() has one. */
		snprintf(from, sizeof(from), "%s/a", self->root);
		snprintf(to, sizeof(to), "%s/a\nb", self->root);
		EXPECT_EQ(-EINVAL, rename(from, to) ? -errno : 0);
	}
	EXPECT_TRUE(ct_exists(P("a/tasks")));
	/* Only a remains below the root. */
	EXPECT_EQ(0, ct_rmdir(P("a")));
	EXPECT_EQ(0, ct_mkdir(P("a")));
}

TEST_F(h, bad_mount_options_are_refused)
{
	static const struct {
		const char *opts;
		int err;
	} bad[] = {
		{ "bogus", EINVAL },
		{ "cpuset=1", EINVAL },
		{ "noprefix=1", EINVAL },
		{ "all,debug", EINVAL },
		{ "none", EINVAL },
		{ "none,debug,name=x", EINVAL },
		{ "name=", EINVAL },
		{ "name=a/b", EINVAL },
		{ "name=a b", EINVAL },
		{ "name=x,name=y", EINVAL },
		{ "name=0123456789012345678901234567890123456789012345678901234567890123", EINVAL },
		{ "release_agent=", EINVAL },
		{ "name=x,release_agent=/a,release_agent=/b", EINVAL },
		/* Bound to the fixture's hierarchy. */
		{ "cpuset", EBUSY },
		{ "net_flow,name=other", EBUSY },
	};
	char dir[64], mounts_before[16384], mounts_after[16384];

	strcpy(dir, ct_tmpdir());
	ASSERT_LT(0, ct_read("/proc/mounts", mounts_before, sizeof(mounts_before)));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int ret = ct_mount(dir, bad[i].opts);

		EXPECT_EQ(-bad[i].err, ret) TH_LOG("mount -o %s", bad[i].opts);
		if (!ret)
			umount(dir);
	}
	/* An option string as long as a page. */
	{
		static char opts[4096];

		memset(opts, 'x', sizeof(opts) - 1);
		EXPECT_EQ(-EINVAL, ct_mount(dir, opts));
	}
	ASSERT_LT(0, ct_read("/proc/mounts", mounts_after, sizeof(mounts_after)));
	EXPECT_STREQ(mounts_before, mounts_after);
	rmdir(dir);
}

/*
 * Seeded random operations over the file interface for a bounded time:
 * mkdir and rmdir in a small tree, writes of good and bad values to random
 * files, moves of two tasks, reads. Errors are expected; what must hold at
 * the end is that each task is in exactly one container and every
 * container's debug.taskcount agrees with its tasks file.
 */
TEST_F_TIMEOUT(h, random_operations, CT_STRESS_TIMEOUT)
{
	static const char *const dirs[] = { ".", "a", "a/b", "a/c", "d", "d/e", "a/b/f" };
	static const char *const files[] = {
		"tasks", "container.procs", "notify_on_release", "container.clone_children",
		"cpuset.cpus", "cpuset.cpu_exclusive", "memset.mems", "memset.mem_exclusive",
		"net_flow.classid", "container.events", "debug.refcount",
	};
	static const char *const values[] = {
		"0", "1", "0-3", "1-2", "3", "0x10010", "", "abc", "-1", "0-1", "2\n", " 1 ",
		"18446744073709551616", "\xff\x01",
	};
	double end = ct_now() + ct_stress_seconds(5);
	unsigned int seed = ct_seed();
	pid_t tasks[2];
	long ops = 0;
	char buf[4096];

	tasks[0] = ct_spawn_sleeper();
	tasks[1] = ct_spawn_sleeper();
	ASSERT_LT(0, tasks[0]);
	ASSERT_LT(0, tasks[1]);
	while (ops < 200 || ct_now() < end) {
		const char *d = dirs[rand_r(&seed) % ARRAY_SIZE(dirs)];
		const char *f = files[rand_r(&seed) % ARRAY_SIZE(files)];
		const char *v = values[rand_r(&seed) % ARRAY_SIZE(values)];

		switch (rand_r(&seed) % 6) {
		case 0:
			ct_mkdir(P("%s", d));
			break;
		case 1:
			if (strcmp(d, "."))
				ct_rmdir(P("%s", d));
			break;
		case 2:
			/* Numbers written to tasks files would move system
			 * tasks (init): moves are case 3's. */
			if (strcmp(f, "tasks") && strcmp(f, "container.procs"))
				ct_write(P("%s/%s", d, f), v);
			break;
		case 3:
			ct_write_id(P("%s/tasks", d), tasks[rand_r(&seed) % 2]);
			break;
		default:
			ct_read(P("%s/%s", d, f), buf, sizeof(buf));
			break;
		}
		ops++;
	}
	TH_LOG("%ld random operations", ops);
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		int n;

		if (!ct_exists(P("%s/tasks", dirs[i])))
			continue;
		n = ct_count_lines(P("%s/tasks", dirs[i]));
		EXPECT_EQ(n, ct_read_long(P("%s/debug.taskcount", dirs[i]))) TH_LOG("%s", dirs[i]);
	}
	for (int t = 0; t < 2; t++) {
		int in = 0;

		for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
			if (ct_exists(P("%s/tasks", dirs[i])))
				in += ct_count_id(P("%s/tasks", dirs[i]), tasks[t]);
		EXPECT_EQ(1, in) TH_LOG("task %d", tasks[t]);
		ct_reap(tasks[t]);
	}
}

TEST_HARNESS_MAIN
