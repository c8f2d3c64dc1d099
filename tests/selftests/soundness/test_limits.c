// SPDX-License-Identifier: GPL-2.0
/*
 * Limits on what user space can make the module allocate: many siblings,
 * deep chains, and the cgroup-v2-style container.max.depth and
 * container.max.descendants files.
 *
 * - many_siblings: ~20,000 children of one container, then writes to
 *   cpuset.cpus, memset.mems and the exclusive flags of one of them and of
 *   the parent (validation walks the siblings or children). Each must work;
 *   the splat check catches the WARN of an order > MAX_PAGE_ORDER kmalloc.
 *   Also logs the memory each container costs.
 * - deep_chain: a chain of containers with long names (mkdirat relative to
 *   a descriptor, so no path ever exceeds PATH_MAX), a task at the bottom:
 *   /proc/container_membership gives its path or ENAMETOOLONG (as cgroup's
 *   /proc/<pid>/cgroup), a release agent runs for a short path and is
 *   skipped, not crashed, for a long one.
 * - many_tasks: hundreds of threads in one container (10,000 when
 *   soaking): its tasks file lists them all, a cpuset change reaches them
 *   all, a write of its pid to the root's container.procs moves them all
 *   back, and no walk over them (reading tasks, applying the change) nor
 *   the move looked at or changed more than 64 entries of the membership
 *   map in one hold of the lock that fork, exit and the packet path take
 *   (debug.lock_scan).
 * - max_depth, max_descendants, limit_values: the semantics of
 *   cgroup.max.depth and cgroup.max.descendants (EAGAIN on mkdir beyond,
 *   ERANGE/EINVAL on bad values, "max" round trip).
 *
 * Creating containers is slow in the emulated debug guest, so the big
 * tests create as many as they can in a bounded time (the full count with
 * CONTAINER_SOAK set) and log how many they made; their checks hold for
 * any count.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "container_util.h"

#define AGENT "/tmp/ct_limits_agent.sh"
#define AGENT_OUT "/tmp/ct_limits_agent.out"

FIXTURE(l) {
	char root[64];
	char p[512];
};

FIXTURE_SETUP(l)
{
	CT_REQUIRE_MODULE();
	strcpy(self->root, ct_tmpdir());
	ASSERT_EQ(0, ct_mount(self->root, "cpuset,memset,debug"));
}

FIXTURE_TEARDOWN(l)
{
	ct_cleanup(self->root);
}

#define P(fmt, ...) (snprintf(self->p, sizeof(self->p), "%s/" fmt, self->root, ##__VA_ARGS__), self->p)

/* A field of /proc/meminfo, in kB; -1 if absent. */
static long meminfo(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':')
			v = atol(line + klen + 1);
	fclose(f);
	return v;
}

/* Writes STR to file NAME of the directory DIRFD; 0 or -errno. */
static int write_at(int dirfd, const char *name, const char *str)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, str, strlen(str)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

TEST_F_TIMEOUT(l, many_siblings, CT_STRESS_TIMEOUT)
{
	/* make check: a sample made for 6 s (about 350 siblings; at least
	 * 100); soaking: the full 20,000. */
	const int want = ct_soak() ? 20000 : 1500;
	double start = ct_now(), end = start + ct_stress_seconds(6);
	long avail0, slab0, avail1, slab1;
	char name[32];
	int dirfd, n = 0;

	ASSERT_EQ(0, ct_mkdir(P("p")));
	ASSERT_EQ(0, ct_write(P("p/cpuset.cpus"), "0"));
	ASSERT_EQ(0, ct_write(P("p/memset.mems"), "0"));
	ASSERT_EQ(0, ct_write(P("p/cpuset.cpu_exclusive"), "1"));
	dirfd = open(P("p"), O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, dirfd);
	avail0 = meminfo("MemAvailable");
	slab0 = meminfo("Slab");
	while (n < want && (n < 100 || ct_now() < end)) {
		snprintf(name, sizeof(name), "c%d", n);
		ASSERT_EQ(0, mkdirat(dirfd, name, 0755)) TH_LOG("mkdir #%d: %s", n, strerror(errno));
		n++;
	}
	avail1 = meminfo("MemAvailable");
	slab1 = meminfo("Slab");
	TH_LOG("%d siblings in %.1f s; per container: MemAvailable -%ld B, Slab +%ld B",
	       n, ct_now() - start, (avail0 - avail1) * 1024 / n, (slab1 - slab0) * 1024 / n);

	/* Validation of a child's change walks its siblings. */
	EXPECT_EQ(0, ct_write(P("p/c1/cpuset.cpus"), "0"));
	EXPECT_EQ(0, ct_write(P("p/c1/memset.mems"), "0"));
	EXPECT_TRUE(ct_reads(P("p/c1/cpuset.effective_cpus"), "0"));
	EXPECT_EQ(0, ct_write(P("p/c2/cpuset.cpu_exclusive"), "1"));
	/* c1 overlaps the now exclusive c2: refused, cleanly. */
	EXPECT_EQ(-EINVAL, ct_write(P("p/c2/cpuset.cpus"), "0"));
	EXPECT_EQ(0, ct_write(P("p/c2/cpuset.cpu_exclusive"), "0"));
	/* A change of the parent walks its children (c1 uses CPU 0: EBUSY). */
	EXPECT_EQ(-EBUSY, ct_write(P("p/cpuset.cpus"), ""));
	EXPECT_EQ(0, ct_write(P("p/cpuset.cpus"), "0"));
	EXPECT_EQ(0, ct_write(P("p/memset.mems"), "0"));
	EXPECT_TRUE(ct_reads(P("p/container.max.descendants"), "max"));

	while (n-- > 0) {
		snprintf(name, sizeof(name), "c%d", n);
		EXPECT_EQ(0, unlinkat(dirfd, name, AT_REMOVEDIR));
	}
	close(dirfd);
	EXPECT_EQ(0, ct_rmdir(P("p")));
}

/* The path of the container LEVELS levels down a chain of NAME. */
static size_t chain_path_len(int levels, const char *name)
{
	return (size_t)levels * (strlen(name) + 1);
}

/* Moves PID to the container DIRFD; 0 or -errno. */
static int move_at(int dirfd, pid_t pid)
{
	char s[32];

	snprintf(s, sizeof(s), "%d", pid);
	return write_at(dirfd, "tasks", s);
}

/* What /proc/container_membership says of PID into BUF; bytes or -errno. */
static ssize_t membership(pid_t pid, char *buf, size_t size)
{
	int fd = open("/proc/container_membership", O_RDWR | O_CLOEXEC);
	char s[32];
	ssize_t n, len = 0;

	if (fd < 0)
		return -errno;
	snprintf(s, sizeof(s), "%d", pid);
	if (write(fd, s, strlen(s)) < 0) {
		len = -errno;
		close(fd);
		return len;
	}
	while ((size_t)len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	if (n < 0)
		len = -errno;
	else
		buf[len] = '\0';
	close(fd);
	return len;
}

TEST_F_TIMEOUT(l, deep_chain, CT_STRESS_TIMEOUT)
{
	/* 150 levels of 200-byte names: a 30 KB path, far past PATH_MAX and a
	 * page; soaking: 5,000. */
	const int want = ct_soak() ? 5000 : 150;
	double start = ct_now(), end = start + ct_stress_seconds(20);
	static char name[201], buf[1 << 16];
	int shallow = -1, cur, next, depth = 0, short_depth = 2;
	pid_t child;
	ssize_t len;
	FILE *f;

	memset(name, 'n', sizeof(name) - 1);
	/* Each level copies its parent's CPUs and nodes, so a task may be
	 * moved to the bottom (an empty cpuset refuses it with ENOSPC). */
	ASSERT_EQ(0, ct_write(P("container.clone_children"), "1"));
	cur = open(P("."), O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, cur);
	while (depth < want && (depth < 40 || ct_now() < end)) {
		ASSERT_EQ(0, mkdirat(cur, name, 0755)) TH_LOG("level %d: %s", depth + 1, strerror(errno));
		next = openat(cur, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		ASSERT_LE(0, next);
		close(cur);
		cur = next;
		depth++;
		if (depth == short_depth)
			shallow = dup(cur);
	}
	TH_LOG("%d levels in %.1f s, bottom path %zu bytes", depth, ct_now() - start,
	       chain_path_len(depth, name));

	/* A task at the bottom: its path, or ENAMETOOLONG as cgroup's
	 * /proc/<pid>/cgroup when it does not fit in PATH_MAX. */
	child = ct_spawn_sleeper();
	ASSERT_LT(0, child);
	ASSERT_EQ(0, move_at(cur, child));
	len = membership(child, buf, sizeof(buf));
	if (chain_path_len(depth, name) < PATH_MAX) {
		ASSERT_LT(0, len);
		EXPECT_NE(NULL, strstr(buf, name));
	} else {
		EXPECT_EQ(-ENAMETOOLONG, len);
	}
	/* The reader's own line is short and still works. */
	EXPECT_LT(0, membership(0, buf, sizeof(buf)));

	/* A release agent: runs for the short path; for the long one it runs
	 * with the right path or not at all, and nothing breaks. */
	f = fopen(AGENT, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "#!/bin/sh\nprintf '%%s\\n' \"${#1}\" >> " AGENT_OUT "\n");
	fclose(f);
	ASSERT_EQ(0, chmod(AGENT, 0755));
	unlink(AGENT_OUT);
	ASSERT_EQ(0, ct_write(P("release_agent"), AGENT));
	ASSERT_EQ(0, write_at(cur, "notify_on_release", "1"));
	ASSERT_EQ(0, ct_write_id(P("tasks"), child));
	ASSERT_EQ(0, write_at(shallow, "notify_on_release", "1"));
	ASSERT_EQ(0, move_at(shallow, child));
	ASSERT_EQ(0, ct_write_id(P("tasks"), child));
	/* The shallow container still has children: not released (as in
	 * cgroup v1, release needs no task and no child). The bottom one is,
	 * and its agent runs when its path fits. */
	if (chain_path_len(depth, name) < PATH_MAX) {
		snprintf(buf, sizeof(buf), "%zu\n", chain_path_len(depth, name));
		EXPECT_TRUE(ct_wait_until(ct_file_contains(AGENT_OUT, buf)));
	}
	ct_reap(child);
	ASSERT_EQ(0, ct_write(P("release_agent"), ""));
	close(shallow);

	/* Remove the chain bottom-up through "..". */
	while (depth > 0) {
		next = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		ASSERT_LE(0, next);
		close(cur);
		cur = next;
		ASSERT_EQ(0, unlinkat(cur, name, AT_REMOVEDIR)) TH_LOG("level %d: %s", depth,
								      strerror(errno));
		depth--;
	}
	close(cur);
	unlink(AGENT);
	unlink(AGENT_OUT);
}

/* A thread that sleeps until its process is killed. */
static void *sleep_forever(void *arg)
{
	for (;;)
		pause();
	return NULL;
}

/* Number of lines of PATH; -1 if it cannot be read. */
static int count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	int n = 0, ch;

	if (!f)
		return -1;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

/* How many of the ids listed in PATH are threads of process PID. */
static int count_threads_listed(const char *path, pid_t pid)
{
	FILE *f = fopen(path, "r");
	char task[64];
	int tid, n = 0;

	if (!f)
		return -1;
	while (fscanf(f, "%d", &tid) == 1) {
		snprintf(task, sizeof(task), "/proc/%d/task/%d", pid, tid);
		n += access(task, F_OK) == 0;
	}
	fclose(f);
	return n;
}

TEST_F_TIMEOUT(l, many_tasks, CT_STRESS_TIMEOUT)
{
	/* 300 threads are five batches of the walks; soaking: 10,000. */
	int want = ct_soak() ? 10000 : 300, n = 0, scan = -1, pfd[2];
	char tasks[512], v[128], line[64] = "";
	pid_t child;

	ASSERT_EQ(0, ct_mkdir(P("a")));
	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "0-3"));
	ASSERT_EQ(0, ct_write(P("a/memset.mems"), "0"));
	snprintf(tasks, sizeof(tasks), "%s/a/tasks", self->root);
	ASSERT_EQ(0, pipe(pfd));
	child = fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		pthread_attr_t attr;
		double end = ct_now() + ct_stress_seconds(30);

		close(pfd[0]);
		if (ct_write(tasks, "0"))
			_exit(1);
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 64 * 1024);
		while (n < want && ct_now() < end) {
			pthread_t t;

			if (pthread_create(&t, &attr, sleep_forever, NULL))
				break;
			n++;
		}
		dprintf(pfd[1], "%d\n", n);
		close(pfd[1]);
		for (;;)
			pause();
	}
	close(pfd[1]);
	ASSERT_LT(0, read(pfd[0], line, sizeof(line) - 1));
	close(pfd[0]);
	n = atoi(line);
	TH_LOG("%d threads in one container", n);
	EXPECT_LT(100, n);
	EXPECT_EQ(n + 1, count_lines(tasks));
	EXPECT_EQ(1, count_lines(P("a/container.procs")));
	EXPECT_LT(0, count_lines(P("tasks")));
	/* A change every thread must get. */
	EXPECT_EQ(0, ct_write(P("a/cpuset.cpus"), "1"));
	{
		FILE *f = fopen(tasks, "r");
		int tid, seen = 0, wrong = 0;

		ASSERT_NE(NULL, f);
		while (fscanf(f, "%d", &tid) == 1) {
			seen++;
			if (ct_status_field(tid, "Cpus_allowed_list", v, sizeof(v)) ||
			    strcmp(v, "1"))
				wrong++;
		}
		fclose(f);
		EXPECT_EQ(n + 1, seen);
		EXPECT_EQ(0, wrong);
	}
	ct_read(P("debug.lock_scan"), line, sizeof(line));
	EXPECT_EQ(1, sscanf(line, "membership %d", &scan)) TH_LOG("debug.lock_scan: %s", line);
	TH_LOG("walks: at most %d map entries per hold of the membership lock", scan);
	EXPECT_GE(64, scan);
	/* The whole process back to the root: every thread, in batches. */
	ASSERT_EQ(0, ct_write(P("debug.lock_scan"), "0"));
	snprintf(v, sizeof(v), "%d", child);
	EXPECT_EQ(0, ct_write(P("container.procs"), v));
	EXPECT_EQ(0, count_lines(tasks));
	EXPECT_EQ(n + 1, count_threads_listed(P("tasks"), child));
	scan = -1;
	ct_read(P("debug.lock_scan"), line, sizeof(line));
	EXPECT_EQ(1, sscanf(line, "membership %d", &scan)) TH_LOG("debug.lock_scan: %s", line);
	TH_LOG("move: at most %d map entries per hold of the membership lock", scan);
	EXPECT_GE(64, scan);
	EXPECT_LT(0, scan);
	kill(child, SIGKILL);
	ASSERT_EQ(child, waitpid(child, NULL, 0));
}

TEST_F(l, max_depth)
{
	EXPECT_TRUE(ct_reads(P("container.max.depth"), "max"));
	ASSERT_EQ(0, ct_mkdir(P("a")));
	EXPECT_TRUE(ct_reads(P("a/container.max.depth"), "max"));

	/* a allows one level below it. */
	ASSERT_EQ(0, ct_write(P("a/container.max.depth"), "1"));
	EXPECT_TRUE(ct_reads(P("a/container.max.depth"), "1"));
	ASSERT_EQ(0, ct_mkdir(P("a/b")));
	EXPECT_EQ(-EAGAIN, ct_mkdir(P("a/b/c")));
	EXPECT_FALSE(ct_exists(P("a/b/c")));
	EXPECT_TRUE(ct_file_contains("/proc/containers", "cpuset\t"));

	/* The root's limit counts levels below the root. */
	ASSERT_EQ(0, ct_write(P("a/container.max.depth"), "max"));
	ASSERT_EQ(0, ct_write(P("container.max.depth"), "2"));
	EXPECT_EQ(-EAGAIN, ct_mkdir(P("a/b/c")));
	ASSERT_EQ(0, ct_write(P("container.max.depth"), "3"));
	ASSERT_EQ(0, ct_mkdir(P("a/b/c")));

	/* 0: no children at all; existing ones stay. */
	ASSERT_EQ(0, ct_write(P("a/b/container.max.depth"), "0"));
	EXPECT_EQ(-EAGAIN, ct_mkdir(P("a/b/d")));
	EXPECT_TRUE(ct_exists(P("a/b/c")));
	ASSERT_EQ(0, ct_write(P("a/b/container.max.depth"), "max"));
	ASSERT_EQ(0, ct_mkdir(P("a/b/d")));

	ASSERT_EQ(0, ct_write(P("container.max.depth"), "max"));
	EXPECT_TRUE(ct_reads(P("container.max.depth"), "max"));
	ASSERT_EQ(0, ct_rmdir(P("a/b/d")));
	ASSERT_EQ(0, ct_rmdir(P("a/b/c")));
	ASSERT_EQ(0, ct_rmdir(P("a/b")));
	ASSERT_EQ(0, ct_rmdir(P("a")));
}

TEST_F(l, max_descendants)
{
	char line[256];

	EXPECT_TRUE(ct_reads(P("container.max.descendants"), "max"));
	ASSERT_EQ(0, ct_mkdir(P("a")));
	ASSERT_EQ(0, ct_mkdir(P("a/b")));
	ASSERT_EQ(0, ct_mkdir(P("a/b/c")));

	/* a has two live descendants. */
	ASSERT_EQ(0, ct_write(P("a/container.max.descendants"), "2"));
	EXPECT_TRUE(ct_reads(P("a/container.max.descendants"), "2"));
	ASSERT_LT(0, ct_read("/proc/containers", line, sizeof(line)));
	EXPECT_EQ(-EAGAIN, ct_mkdir(P("a/d")));
	EXPECT_EQ(-EAGAIN, ct_mkdir(P("a/b/c/d")));
	EXPECT_FALSE(ct_exists(P("a/d")));
	/* Nothing changed: same container count. */
	EXPECT_TRUE(ct_file_contains("/proc/containers", line));
	/* A sibling of a is not limited by a. */
	ASSERT_EQ(0, ct_mkdir(P("x")));

	/* rmdir gives the room back at once. */
	ASSERT_EQ(0, ct_rmdir(P("a/b/c")));
	ASSERT_EQ(0, ct_mkdir(P("a/d")));
	EXPECT_EQ(-EAGAIN, ct_mkdir(P("a/b/e")));

	/* The container itself as the parent; 0 forbids any child. */
	ASSERT_EQ(0, ct_write(P("a/b/container.max.descendants"), "0"));
	ASSERT_EQ(0, ct_write(P("a/container.max.descendants"), "max"));
	EXPECT_EQ(-EAGAIN, ct_mkdir(P("a/b/e")));
	ASSERT_EQ(0, ct_mkdir(P("a/e")));

	/* The root's limit covers the whole hierarchy: a, a/b, a/d, a/e, x. */
	ASSERT_EQ(0, ct_write(P("container.max.descendants"), "5"));
	EXPECT_EQ(-EAGAIN, ct_mkdir(P("y")));
	ASSERT_EQ(0, ct_write(P("container.max.descendants"), "6"));
	ASSERT_EQ(0, ct_mkdir(P("y")));
	ASSERT_EQ(0, ct_write(P("container.max.descendants"), "max"));

	ASSERT_EQ(0, ct_rmdir(P("y")));
	ASSERT_EQ(0, ct_rmdir(P("x")));
	ASSERT_EQ(0, ct_rmdir(P("a/e")));
	ASSERT_EQ(0, ct_rmdir(P("a/d")));
	ASSERT_EQ(0, ct_rmdir(P("a/b")));
	ASSERT_EQ(0, ct_rmdir(P("a")));
}

TEST_F(l, limit_values)
{
	static const char *const files[] = { "container.max.depth", "container.max.descendants" };
	static const struct {
		const char *val;
		int err;
	} bad[] = {
		{ "", EINVAL }, { " ", EINVAL }, { "abc", EINVAL }, { "MAX", EINVAL },
		{ "maxx", EINVAL }, { "max 1", EINVAL }, { "1 2", EINVAL }, { "0x", EINVAL },
		{ "- 1", EINVAL }, { "-+1", EINVAL }, { "1.5", EINVAL }, { "\xff", EINVAL },
		/* As kstrtoint(): negative or beyond INT_MAX is ERANGE. */
		{ "-1", ERANGE }, { "-2147483648", ERANGE }, { "2147483648", ERANGE },
		{ "18446744073709551616", ERANGE },
	};
	static const struct {
		const char *val, *reads;
	} good[] = {
		{ "7", "7" }, { " 12\n", "12" }, { "0x10", "16" }, { "010", "8" },
		{ "+3", "3" }, { "-0", "0" }, { "2147483646", "2147483646" },
		{ "2147483647", "max" }, { "max\n", "max" }, { "0", "0" }, { "max", "max" },
	};

	ASSERT_EQ(0, ct_mkdir(P("a")));
	for (unsigned int f = 0; f < ARRAY_SIZE(files); f++) {
		for (unsigned int i = 0; i < ARRAY_SIZE(good); i++) {
			EXPECT_EQ(0, ct_write(P("a/%s", files[f]), good[i].val))
				TH_LOG("%s <- '%s'", files[f], good[i].val);
			EXPECT_TRUE(ct_reads(P("a/%s", files[f]), good[i].reads))
				TH_LOG("%s after '%s'", files[f], good[i].val);
		}
		ASSERT_EQ(0, ct_write(P("a/%s", files[f]), "5"));
		for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
			EXPECT_EQ(-bad[i].err, ct_write(P("a/%s", files[f]), bad[i].val))
				TH_LOG("%s <- '%s'", files[f], bad[i].val);
			EXPECT_TRUE(ct_reads(P("a/%s", files[f]), "5"))
				TH_LOG("%s changed by '%s'", files[f], bad[i].val);
		}
		ASSERT_EQ(0, ct_write(P("a/%s", files[f]), "max"));
	}
	ASSERT_EQ(0, ct_rmdir(P("a")));
}

TEST_HARNESS_MAIN
