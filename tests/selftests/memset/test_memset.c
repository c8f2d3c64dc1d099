// SPDX-License-Identifier: GPL-2.0
/*
 * memset: the files, the cgroup-v1 cpuset rules on memory nodes, and
 * enforcement seen from user space: /proc/<pid>/status Mems_allowed_list
 * and where the pages of a task's memory actually are (numa_maps).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "container_util.h"

FIXTURE(ms) {
	char root[64];
	char p[512];
	pid_t child;	/* killed by the teardown if a test stops early */
};

FIXTURE_SETUP(ms)
{
	CT_REQUIRE_MODULE();
	if (!ct_exists("/sys/devices/system/node/node1"))
		SKIP(return, "needs 2 NUMA nodes");
	strcpy(self->root, ct_tmpdir());
	ASSERT_EQ(0, ct_mount(self->root, "memset"));
	ASSERT_EQ(0, ct_mkdir(strcat(strcpy(self->p, self->root), "/a")));
}

FIXTURE_TEARDOWN(ms)
{
	if (self->child > 0)
		ct_reap(self->child);
	ct_cleanup(self->root);
}

#define P(fmt, ...) (snprintf(self->p, sizeof(self->p), "%s/" fmt, self->root, ##__VA_ARGS__), self->p)

TEST_F(ms, files_and_root)
{
	EXPECT_TRUE(ct_reads(P("memset.mems"), "0-1"));
	EXPECT_TRUE(ct_reads(P("memset.effective_mems"), "0-1"));
	EXPECT_TRUE(ct_reads(P("memset.mem_exclusive"), "0"));
	EXPECT_TRUE(ct_file_contains(P("memset.mem_enforcement"), "mems_allowed 1\n"));
	EXPECT_EQ(-EACCES, ct_write(P("memset.mems"), "0"));
	EXPECT_FALSE(ct_exists(P("a/memset.mem_enforcement")));
	EXPECT_TRUE(ct_reads(P("a/memset.mems"), ""));
}

TEST_F(ms, rules_and_errnos)
{
	/* Parse errors and nodes that do not exist: EINVAL, nothing changes. */
	const char *bad[] = { "x", "2", "0-2", "1-0", "0,,1", "-1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, ct_write(P("a/memset.mems"), bad[i])) TH_LOG("input %s", bad[i]);
		EXPECT_TRUE(ct_reads(P("a/memset.mems"), ""));
	}
	ASSERT_EQ(0, ct_write(P("a/memset.mems"), "0,1"));
	EXPECT_TRUE(ct_reads(P("a/memset.mems"), "0-1"));
	ASSERT_EQ(0, ct_write(P("a/memset.mems"), "1"));
	ASSERT_EQ(0, ct_mkdir(P("a/b")));
	/* Not a subset of the parent: EACCES; stranding a child: EBUSY. */
	EXPECT_EQ(-EACCES, ct_write(P("a/b/memset.mems"), "0"));
	ASSERT_EQ(0, ct_write(P("a/b/memset.mems"), "1"));
	EXPECT_EQ(-EBUSY, ct_write(P("a/memset.mems"), "0"));
	/* Exclusive overlapping a sibling: EINVAL. */
	ASSERT_EQ(0, ct_mkdir(P("c")));
	ASSERT_EQ(0, ct_write(P("c/memset.mems"), "1"));
	EXPECT_EQ(-EINVAL, ct_write(P("a/memset.mem_exclusive"), "1"));
	ASSERT_EQ(0, ct_write(P("c/memset.mems"), "0"));
	ASSERT_EQ(0, ct_write(P("a/memset.mem_exclusive"), "1"));
	EXPECT_EQ(-EINVAL, ct_write(P("c/memset.mems"), "0-1"));
	/* No nodes: attaching is ENOSPC. */
	ASSERT_EQ(0, ct_mkdir(P("d")));
	EXPECT_EQ(-ENOSPC, ct_write_id(P("d/tasks"), getpid()));
	/* Emptying a populated memset: ENOSPC. */
	pid_t pid = ct_spawn_sleeper();
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, ct_write_id(P("c/tasks"), pid));
	EXPECT_EQ(-ENOSPC, ct_write(P("c/memset.mems"), ""));
	EXPECT_TRUE(ct_reads(P("c/memset.mems"), "0"));
	ct_reap(pid);
}

TEST_F(ms, clone_children_copies_mems)
{
	ASSERT_EQ(0, ct_write(P("a/memset.mems"), "1"));
	ASSERT_EQ(0, ct_write(P("a/container.clone_children"), "1"));
	ASSERT_EQ(0, ct_mkdir(P("a/b")));
	EXPECT_TRUE(ct_reads(P("a/b/memset.mems"), "1"));
	EXPECT_TRUE(ct_reads(P("a/b/memset.effective_mems"), "1"));
}

/* Pages on each node of the mapping at ADDR in /proc/PID/numa_maps. */
static int pages_on_nodes(pid_t pid, unsigned long addr, long nodes[2])
{
	char path[64], line[4096], want[32];
	FILE *f;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/numa_maps", pid);
	snprintf(want, sizeof(want), "%lx ", addr);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	nodes[0] = nodes[1] = 0;
	while (fgets(line, sizeof(line), f)) {
		char *n;

		if (strncmp(line, want, strlen(want)))
			continue;
		for (int i = 0; i < 2; i++) {
			char key[8];

			snprintf(key, sizeof(key), " N%d=", i);
			n = strstr(line, key);
			if (n)
				nodes[i] = atol(n + strlen(key));
		}
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* 64 MB: 16,384 pages, a sample that fits a node of the 1 GiB guest. */
#define REGION (64UL << 20)
#define REGION_PAGES (REGION / 4096)

/*
 * The child: on each byte from CMD, maps and touches REGION and reports the
 * address on REPLY; exits on EOF. Each region follows an inaccessible page,
 * so that regions never merge into one mapping in numa_maps.
 */
static void allocator(int cmd, int reply)
{
	char c;

	while (read(cmd, &c, 1) == 1) {
		char *p = mmap(NULL, REGION + 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		unsigned long addr = (unsigned long)p + 4096;

		if (p == MAP_FAILED || mprotect(p, 4096, PROT_NONE))
			_exit(2);
		memset(p + 4096, 0x5a, REGION);
		if (write(reply, &addr, sizeof(addr)) != sizeof(addr))
			_exit(3);
	}
	_exit(0);
}

/* Asks the allocator for one more region; its address or 0. */
static unsigned long allocate(int cmd, int reply)
{
	unsigned long addr = 0;

	if (write(cmd, "a", 1) != 1 || read(reply, &addr, sizeof(addr)) != sizeof(addr))
		return 0;
	return addr;
}

TEST_F(ms, pages_land_on_the_memset_nodes)
{
	int to[2], from[2], status;
	unsigned long first, second;
	long nodes[2];
	char v[64];

	if (!ct_file_contains(P("memset.mem_enforcement"), "page_allocator 1"))
		SKIP(return, "the page allocator ignores mems_allowed on this kernel (scripts/patches/0001)");
	ASSERT_EQ(0, ct_write(P("a/memset.mems"), "1"));
	ASSERT_EQ(0, ct_mkdir(P("b")));
	ASSERT_EQ(0, ct_write(P("b/memset.mems"), "0"));
	ASSERT_EQ(0, pipe(to));
	ASSERT_EQ(0, pipe(from));
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(to[1]);
		close(from[0]);
		allocator(to[0], from[1]);
	}
	self->child = pid;
	close(to[0]);
	close(from[1]);

	ASSERT_EQ(0, ct_write_id(P("a/tasks"), pid));
	ASSERT_EQ(0, ct_status_field(pid, "Mems_allowed_list", v, sizeof(v)));
	EXPECT_STREQ("1", v);
	first = allocate(to[1], from[0]);
	ASSERT_NE(0UL, first);
	ASSERT_EQ(0, pages_on_nodes(pid, first, nodes));
	TH_LOG("in memset 1: N0=%ld N1=%ld of %lu pages", nodes[0], nodes[1], REGION_PAGES);
	EXPECT_GE(nodes[1], (long)(REGION_PAGES * 99 / 100));
	EXPECT_LE(nodes[0], (long)(REGION_PAGES / 100));

	/* Moved to node 0: new memory comes from node 0. */
	ASSERT_EQ(0, ct_write_id(P("b/tasks"), pid));
	ASSERT_EQ(0, ct_status_field(pid, "Mems_allowed_list", v, sizeof(v)));
	EXPECT_STREQ("0", v);
	second = allocate(to[1], from[0]);
	ASSERT_NE(0UL, second);
	ASSERT_EQ(0, pages_on_nodes(pid, second, nodes));
	TH_LOG("in memset 0: N0=%ld N1=%ld", nodes[0], nodes[1]);
	EXPECT_GE(nodes[0], (long)(REGION_PAGES * 99 / 100));
	EXPECT_LE(nodes[1], (long)(REGION_PAGES / 100));
	/* Memory already allocated is not migrated (no memory_migrate). */
	ASSERT_EQ(0, pages_on_nodes(pid, first, nodes));
	EXPECT_GE(nodes[1], (long)(REGION_PAGES * 99 / 100));

	close(to[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	self->child = 0;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(from[0]);
}

TEST_F(ms, changing_mems_moves_members_and_children_inherit)
{
	char v[64];

	ASSERT_EQ(0, ct_write(P("a/memset.mems"), "0-1"));
	pid_t pid = ct_spawn_sleeper();
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, ct_write_id(P("a/tasks"), pid));
	ASSERT_EQ(0, ct_status_field(pid, "Mems_allowed_list", v, sizeof(v)));
	EXPECT_STREQ("0-1", v);
	ASSERT_EQ(0, ct_write(P("a/memset.mems"), "1"));
	ASSERT_EQ(0, ct_status_field(pid, "Mems_allowed_list", v, sizeof(v)));
	EXPECT_STREQ("1", v);
	ct_reap(pid);

	/* A task forked inside the memset has its nodes from the start. */
	ASSERT_EQ(0, ct_write(P("a/tasks"), "0"));
	pid = ct_spawn_sleeper();
	ASSERT_EQ(0, ct_write(P("tasks"), "0"));
	ASSERT_GT(pid, 0);
	EXPECT_EQ(1, ct_count_id(P("a/tasks"), pid));
	ASSERT_EQ(0, ct_status_field(pid, "Mems_allowed_list", v, sizeof(v)));
	EXPECT_STREQ("1", v);
	ct_reap(pid);
}

TEST_HARNESS_MAIN
