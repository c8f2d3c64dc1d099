// SPDX-License-Identifier: GPL-2.0
/*
 * cpuset: the files, every errno of the cgroup-v1 rules, and enforcement
 * seen from user space: /proc/<pid>/status Cpus_allowed_list, the CPUs a
 * task actually runs on, inheritance on fork, sched_setaffinity() unable
 * to widen the container, and CPU hotplug.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "container_util.h"

FIXTURE(cs) {
	char root[64];
	char p[512];
	pid_t child;	/* killed by the teardown if a test stops early */
};

FIXTURE_SETUP(cs)
{
	CT_REQUIRE_MODULE();
	if (sysconf(_SC_NPROCESSORS_ONLN) < 4)
		SKIP(return, "needs 4 online CPUs");
	strcpy(self->root, ct_tmpdir());
	ASSERT_EQ(0, ct_mount(self->root, "cpuset"));
	ASSERT_EQ(0, ct_mkdir(strcat(strcpy(self->p, self->root), "/a")));
}

FIXTURE_TEARDOWN(cs)
{
	if (self->child > 0)
		ct_reap(self->child);
	ct_cleanup(self->root);
}

#define P(fmt, ...) (snprintf(self->p, sizeof(self->p), "%s/" fmt, self->root, ##__VA_ARGS__), self->p)

static bool clamp_available(const char *root)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/cpuset.cpu_enforcement", root);
	return ct_file_contains(path, "setaffinity_clamp 1");
}

/* True if PID's Cpus_allowed_list reads WANT. */
static bool affinity_is(pid_t pid, const char *want)
{
	char v[128];

	return !ct_status_field(pid, "Cpus_allowed_list", v, sizeof(v)) && !strcmp(v, want);
}

/* Polls PID's Cpus_allowed_list for WANT (the hotplug work is
 * asynchronous). */
#define affinity_becomes(pid, want) ct_wait_until(affinity_is(pid, want))

TEST_F(cs, files_and_root)
{
	EXPECT_TRUE(ct_reads(P("cpuset.cpus"), "0-3"));
	EXPECT_TRUE(ct_reads(P("cpuset.effective_cpus"), "0-3"));
	EXPECT_TRUE(ct_reads(P("cpuset.cpu_exclusive"), "0"));
	EXPECT_TRUE(ct_file_contains(P("cpuset.cpu_enforcement"), "affinity 1\n"));
	/* Root files are read-only; the enforcement file is root-only. */
	EXPECT_EQ(-EACCES, ct_write(P("cpuset.cpus"), "0"));
	EXPECT_EQ(-EACCES, ct_write(P("cpuset.cpu_exclusive"), "0"));
	EXPECT_FALSE(ct_exists(P("a/cpuset.cpu_enforcement")));
	/* A new container starts empty. */
	EXPECT_TRUE(ct_reads(P("a/cpuset.cpus"), ""));
	EXPECT_TRUE(ct_reads(P("a/cpuset.effective_cpus"), ""));
}

TEST_F(cs, parse_round_trip_and_einval)
{
	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "0,1,2"));
	EXPECT_TRUE(ct_reads(P("a/cpuset.cpus"), "0-2"));
	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "3,1\n"));
	EXPECT_TRUE(ct_reads(P("a/cpuset.cpus"), "1,3"));
	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "0-3:1/2"));
	EXPECT_TRUE(ct_reads(P("a/cpuset.cpus"), "0,2"));
	/* Garbage, CPUs that do not exist: EINVAL, and nothing changes. */
	const char *bad[] = { "abc", "1-", "3-1", "1,,2", "4", "0-64", "-1", "99999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, ct_write(P("a/cpuset.cpus"), bad[i])) TH_LOG("input %s", bad[i]);
		EXPECT_TRUE(ct_reads(P("a/cpuset.cpus"), "0,2"));
	}
	EXPECT_EQ(-EINVAL, ct_write(P("a/cpuset.cpu_exclusive"), "x"));
	/* Empty write empties an unpopulated container. */
	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "\n"));
	EXPECT_TRUE(ct_reads(P("a/cpuset.cpus"), ""));
}

TEST_F(cs, hierarchy_rules)
{
	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "0-1"));
	ASSERT_EQ(0, ct_mkdir(P("a/b")));
	/* Not a subset of the parent: EACCES. */
	EXPECT_EQ(-EACCES, ct_write(P("a/b/cpuset.cpus"), "2"));
	ASSERT_EQ(0, ct_write(P("a/b/cpuset.cpus"), "1"));
	/* Leaving a child outside: EBUSY. */
	EXPECT_EQ(-EBUSY, ct_write(P("a/cpuset.cpus"), "0"));
	EXPECT_TRUE(ct_reads(P("a/cpuset.cpus"), "0-1"));
	/* Exclusive under a non-exclusive parent: EACCES. */
	EXPECT_EQ(-EACCES, ct_write(P("a/b/cpuset.cpu_exclusive"), "1"));
	/* Exclusive overlapping a sibling: EINVAL. */
	ASSERT_EQ(0, ct_mkdir(P("c")));
	ASSERT_EQ(0, ct_write(P("c/cpuset.cpus"), "1-2"));
	EXPECT_EQ(-EINVAL, ct_write(P("a/cpuset.cpu_exclusive"), "1"));
	ASSERT_EQ(0, ct_write(P("c/cpuset.cpus"), "2-3"));
	ASSERT_EQ(0, ct_write(P("a/cpuset.cpu_exclusive"), "1"));
	EXPECT_EQ(-EINVAL, ct_write(P("c/cpuset.cpus"), "1-3"));
	/* Clearing the flag while a child is exclusive: EBUSY. */
	ASSERT_EQ(0, ct_write(P("a/b/cpuset.cpu_exclusive"), "1"));
	EXPECT_EQ(-EBUSY, ct_write(P("a/cpuset.cpu_exclusive"), "0"));
	EXPECT_TRUE(ct_reads(P("a/cpuset.cpu_exclusive"), "1"));
}

TEST_F(cs, attach_errors)
{
	/* No CPUs: ENOSPC. */
	EXPECT_EQ(-ENOSPC, ct_write_id(P("a/tasks"), getpid()));
	EXPECT_EQ(0, ct_count_id(P("a/tasks"), getpid()));
	/* kthreadd may not change affinity: EINVAL. */
	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "1"));
	EXPECT_EQ(-EINVAL, ct_write_id(P("a/tasks"), 2));
	/* Emptying a populated container: ENOSPC. */
	pid_t pid = ct_spawn_sleeper();
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, ct_write_id(P("a/tasks"), pid));
	EXPECT_EQ(-ENOSPC, ct_write(P("a/cpuset.cpus"), ""));
	EXPECT_TRUE(ct_reads(P("a/cpuset.cpus"), "1"));
	ct_reap(pid);
}

TEST_F(cs, clone_children_copies_cpus)
{
	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "2-3"));
	ASSERT_EQ(0, ct_write(P("a/container.clone_children"), "1"));
	ASSERT_EQ(0, ct_mkdir(P("a/b")));
	EXPECT_TRUE(ct_reads(P("a/b/cpuset.cpus"), "2-3"));
	EXPECT_TRUE(ct_reads(P("a/b/cpuset.effective_cpus"), "2-3"));
	ASSERT_EQ(0, ct_write(P("a/container.clone_children"), "0"));
	ASSERT_EQ(0, ct_mkdir(P("a/c")));
	EXPECT_TRUE(ct_reads(P("a/c/cpuset.cpus"), ""));
}

/* As the cgroup cpuset: clone_children copies nothing next to an exclusive
 * sibling, whose CPUs the copy would overlap. */
TEST_F(cs, clone_children_skips_copy_next_to_exclusive_sibling)
{
	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "2-3"));
	ASSERT_EQ(0, ct_write(P("a/cpuset.cpu_exclusive"), "1"));
	ASSERT_EQ(0, ct_write(P("a/container.clone_children"), "1"));
	ASSERT_EQ(0, ct_mkdir(P("a/b")));
	EXPECT_TRUE(ct_reads(P("a/b/cpuset.cpus"), "2-3"));
	ASSERT_EQ(0, ct_write(P("a/b/cpuset.cpu_exclusive"), "1"));
	ASSERT_EQ(0, ct_mkdir(P("a/c")));
	EXPECT_TRUE(ct_reads(P("a/c/cpuset.cpus"), ""));
	/* Not exclusive any more: copies again. */
	ASSERT_EQ(0, ct_write(P("a/b/cpuset.cpu_exclusive"), "0"));
	ASSERT_EQ(0, ct_mkdir(P("a/d")));
	EXPECT_TRUE(ct_reads(P("a/d/cpuset.cpus"), "2-3"));
}

/* Runs in a child moved to a cpuset: samples the CPU it runs on. Exit
 * status: 0 if every sample was in MASK, 1 otherwise. */
static int sample_cpus(unsigned long mask)
{
	for (int i = 0; i < 3000; i++) {
		int cpu = sched_getcpu();

		if (cpu < 0 || !(mask & (1UL << cpu)))
			return 1;
		if (i % 8 == 0)
			sched_yield();
	}
	return 0;
}

TEST_F(cs, affinity_follows_container)
{
	char v[128];
	int status;

	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "2-3"));
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char path[512];

		snprintf(path, sizeof(path), "%s/a/tasks", self->root);
		if (ct_write(path, "0"))
			_exit(2);
		if (ct_status_field(getpid(), "Cpus_allowed_list", v, sizeof(v)) || strcmp(v, "2-3"))
			_exit(3);
		if (sample_cpus(0xc))
			_exit(4);
		/* A grandchild inherits the confinement. */
		pid_t g = fork();
		if (g == 0)
			_exit(sample_cpus(0xc) ? 5 : 0);
		if (g < 0 || waitpid(g, &status, 0) != g || !WIFEXITED(status))
			_exit(6);
		_exit(WEXITSTATUS(status));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));

	/* Changing cpus moves the members. */
	pid = ct_spawn_sleeper();
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, ct_write_id(P("a/tasks"), pid));
	ASSERT_EQ(0, ct_status_field(pid, "Cpus_allowed_list", v, sizeof(v)));
	EXPECT_STREQ("2-3", v);
	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "1"));
	ASSERT_EQ(0, ct_status_field(pid, "Cpus_allowed_list", v, sizeof(v)));
	EXPECT_STREQ("1", v);
	/* Back to the root: every CPU again. */
	ASSERT_EQ(0, ct_write_id(P("tasks"), pid));
	ASSERT_EQ(0, ct_status_field(pid, "Cpus_allowed_list", v, sizeof(v)));
	EXPECT_STREQ("0-3", v);
	ct_reap(pid);
}

TEST_F(cs, setaffinity_cannot_widen)
{
	char v[128];
	cpu_set_t set;

	if (!clamp_available(self->root))
		SKIP(return, "kernel lacks the setaffinity hook (scripts/patches/0001)");
	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "1-2"));
	pid_t pid = ct_spawn_sleeper();
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, ct_write_id(P("a/tasks"), pid));
	/* taskset -p f PID: clamped to the container. */
	CPU_ZERO(&set);
	for (int i = 0; i < 4; i++)
		CPU_SET(i, &set);
	EXPECT_EQ(0, sched_setaffinity(pid, sizeof(set), &set));
	ASSERT_EQ(0, ct_status_field(pid, "Cpus_allowed_list", v, sizeof(v)));
	EXPECT_STREQ("1-2", v);
	/* Only outside CPUs: nothing valid is left, EINVAL. */
	CPU_ZERO(&set);
	CPU_SET(3, &set);
	EXPECT_EQ(-1, sched_setaffinity(pid, sizeof(set), &set));
	EXPECT_EQ(EINVAL, errno);
	/* Narrowing inside the container is allowed. */
	CPU_ZERO(&set);
	CPU_SET(2, &set);
	EXPECT_EQ(0, sched_setaffinity(pid, sizeof(set), &set));
	ASSERT_EQ(0, ct_status_field(pid, "Cpus_allowed_list", v, sizeof(v)));
	EXPECT_STREQ("2", v);
	ct_reap(pid);
}

/* Writes 0/1 to cpuN/online; 0 or -errno. */
static int cpu_online(int cpu, int on)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	return ct_write(path, on ? "1" : "0");
}

TEST_F(cs, hotplug_effective)
{
	char v[128], path[512];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu3/online");
	if (access(path, W_OK))
		SKIP(return, "CPU 3 cannot be offlined");
	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "2-3"));
	ASSERT_EQ(0, ct_mkdir(P("b")));
	ASSERT_EQ(0, ct_write(P("b/cpuset.cpus"), "3"));
	pid_t pid = ct_spawn_sleeper();
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, ct_write_id(P("a/tasks"), pid));

	ASSERT_EQ(0, cpu_online(3, 0));
	EXPECT_TRUE(ct_eventually_reads(P("a/cpuset.effective_cpus"), "2"));
	EXPECT_TRUE(ct_eventually_reads(P("cpuset.effective_cpus"), "0-2"));
	/* Nothing left: falls back to the nearest ancestor's CPUs. */
	EXPECT_TRUE(ct_eventually_reads(P("b/cpuset.effective_cpus"), "0-2"));
	EXPECT_TRUE(ct_reads(P("a/cpuset.cpus"), "2-3"));
	EXPECT_TRUE(ct_reads(P("b/cpuset.cpus"), "3"));
	ASSERT_EQ(0, ct_status_field(pid, "Cpus_allowed_list", v, sizeof(v)));
	EXPECT_STREQ("2", v);

	ASSERT_EQ(0, cpu_online(3, 1));
	EXPECT_TRUE(ct_eventually_reads(P("a/cpuset.effective_cpus"), "2-3"));
	EXPECT_TRUE(ct_eventually_reads(P("b/cpuset.effective_cpus"), "3"));
	EXPECT_TRUE(ct_reads(P("a/cpuset.cpus"), "2-3"));
	EXPECT_TRUE(affinity_becomes(pid, "2-3"));
	ct_reap(pid);
}

/*
 * A task whose container lost all its CPUs runs on the nearest ancestor's,
 * and gets its own back once the CPU is active again; a task moved to the
 * root while a CPU is offline may use it once it is back (possible CPUs,
 * as the cgroup cpuset's top cpuset).
 */
TEST_F(cs, hotplug_fallback_and_root)
{
	pid_t in_b, in_root;

	if (access("/sys/devices/system/cpu/cpu3/online", W_OK))
		SKIP(return, "CPU 3 cannot be offlined");
	ASSERT_EQ(0, ct_mkdir(P("b")));
	ASSERT_EQ(0, ct_write(P("b/cpuset.cpus"), "3"));
	in_b = ct_spawn_sleeper();
	ASSERT_GT(in_b, 0);
	self->child = in_b;
	ASSERT_EQ(0, ct_write_id(P("b/tasks"), in_b));
	EXPECT_TRUE(affinity_becomes(in_b, "3"));

	ASSERT_EQ(0, cpu_online(3, 0));
	EXPECT_TRUE(affinity_becomes(in_b, "0-2"));
	in_root = ct_spawn_sleeper();
	ASSERT_GT(in_root, 0);
	ASSERT_EQ(0, ct_write_id(P("b/tasks"), in_root));
	EXPECT_TRUE(affinity_becomes(in_root, "0-2"));
	ASSERT_EQ(0, ct_write_id(P("tasks"), in_root));

	ASSERT_EQ(0, cpu_online(3, 1));
	EXPECT_TRUE(affinity_becomes(in_b, "3"));
	EXPECT_TRUE(affinity_becomes(in_root, "0-3"));
	ct_reap(in_root);
}

/*
 * The race between fork() and moving the parent: the child copies its
 * parent's affinity early in fork() but joins the parent's container only
 * in the fork hook. A parent forking while it is moved back and forth
 * between disjoint cpusets must never produce a child that runs user code
 * outside its own container's CPUs.
 */
TEST_F_TIMEOUT(cs, fork_while_moving_stays_inside, CT_STRESS_TIMEOUT)
{
	char a_tasks[512], b_tasks[512];
	int status, forks = 0, bad = 0;

	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "0-1"));
	ASSERT_EQ(0, ct_mkdir(P("b")));
	ASSERT_EQ(0, ct_write(P("b/cpuset.cpus"), "2-3"));
	snprintf(a_tasks, sizeof(a_tasks), "%s/a/tasks", self->root);
	snprintf(b_tasks, sizeof(b_tasks), "%s/b/tasks", self->root);

	int stop[2];
	double end = ct_now() + ct_stress_seconds(4);

	/* The forker forks until the mover closes the pipe. */
	ASSERT_EQ(0, pipe2(stop, O_NONBLOCK));
	pid_t forker = fork();
	ASSERT_GE(forker, 0);
	self->child = forker;
	if (forker == 0) {
		/* Exit status: children that ran outside their container. */
		int outside = 0, children = 0;
		char c0;

		close(stop[1]);
		while (read(stop[0], &c0, 1) < 0 && errno == EAGAIN) {
			pid_t c = fork();

			children++;
			if (c == 0) {
				cpu_set_t set;
				unsigned long mask = 0;

				if (sched_getaffinity(0, sizeof(set), &set))
					_exit(2);
				for (int cpu = 0; cpu < 4; cpu++)
					if (CPU_ISSET(cpu, &set))
						mask |= 1UL << cpu;
				if (ct_count_id(a_tasks, getpid()) == 1)
					_exit(mask & ~0x3UL ? 1 : 0);
				if (ct_count_id(b_tasks, getpid()) == 1)
					_exit(mask & ~0xcUL ? 1 : 0);
				_exit(3);
			}
			if (c < 0 || waitpid(c, &status, 0) != c || !WIFEXITED(status) ||
			    WEXITSTATUS(status))
				outside++;
		}
		printf("# %d children forked\n", children);
		fflush(stdout);
		_exit(outside > 255 ? 255 : outside);
	}
	close(stop[0]);
	/* Move the forker for a bounded time, at least 20 times. */
	while (forks < 20 || ct_now() < end) {
		ASSERT_EQ(0, ct_write_id(P("%s/container.procs", forks % 2 ? "a" : "b"), forker));
		forks++;
		usleep(1000);
	}
	close(stop[1]);
	ASSERT_EQ(forker, waitpid(forker, &status, 0));
	self->child = 0;
	if (WIFEXITED(status))
		bad = WEXITSTATUS(status);
	TH_LOG("%d moves while forking; %d children outside", forks, bad);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, bad);
	/* Every task that was in a or b has exited and was reaped: both are
	 * empty (no other task, e.g. a kernel thread, took a place there),
	 * and can be removed. */
	char left[256] = "";

	ct_read(a_tasks, left, sizeof(left));
	EXPECT_STREQ("", left);
	ct_read(b_tasks, left, sizeof(left));
	EXPECT_STREQ("", left);
	EXPECT_EQ(0, ct_rmdir(P("b")));
	EXPECT_EQ(0, ct_rmdir(P("a")));
}

/* Writes S to PATH for the cgroup test; 0 or -errno. */
static int cg_write(const char *dir, const char *file, const char *s)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return ct_write(path, s);
}

/*
 * A task in a container cpuset and in a cgroup v2 cpuset runs on the
 * intersection, whichever of the two changes. The container never widens
 * the task beyond its cgroup cpuset (a delegated user must not defeat an
 * administrator's or systemd's cpuset): a write or an attach that would
 * leave the two with no CPU in common fails with EBUSY and changes
 * nothing, and when the cgroup side makes them disjoint the cgroup's CPUs
 * apply.
 */
TEST_F(cs, cgroup_cpuset_never_widened)
{
	char cg[64], g[128], v[128];
	pid_t pid;

	if (!clamp_available(self->root) ||
	    !ct_file_contains(P("cpuset.cpu_enforcement"), "cgroup_intersect 1"))
		SKIP(return, "kernel lacks the cgroup cpuset hooks (scripts/patches/0001)");
	strcpy(cg, ct_tmpdir());
	if (mount("none", cg, "cgroup2", 0, NULL))
		SKIP(return, "cannot mount cgroup2");
	if (cg_write(cg, "cgroup.subtree_control", "+cpuset")) {
		umount(cg);
		SKIP(return, "cgroup2 cpuset controller not available");
	}
	snprintf(g, sizeof(g), "%s/g", cg);
	ASSERT_EQ(0, ct_mkdir(g));
	ASSERT_EQ(0, cg_write(g, "cpuset.cpus", "0-1"));

	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "1-2"));
	pid = ct_spawn_sleeper();
	ASSERT_GT(pid, 0);
	self->child = pid;
	ASSERT_EQ(0, ct_write_id(P("a/tasks"), pid));
	EXPECT_TRUE(affinity_is(pid, "1-2"));

	/* Attached to the cgroup: (0-1) and (1-2). */
	snprintf(v, sizeof(v), "%d", pid);
	ASSERT_EQ(0, cg_write(g, "cgroup.procs", v));
	EXPECT_TRUE(affinity_is(pid, "1"));
	/* The container widens: still inside the cgroup. */
	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "1-3"));
	EXPECT_TRUE(affinity_is(pid, "1"));
	/* The cgroup widens: still inside the container. */
	ASSERT_EQ(0, cg_write(g, "cpuset.cpus", "0-2"));
	EXPECT_TRUE(affinity_is(pid, "1-2"));

	/* A write that would take the task out of its cgroup: refused. */
	EXPECT_EQ(-EBUSY, ct_write(P("a/cpuset.cpus"), "3"));
	EXPECT_TRUE(ct_reads(P("a/cpuset.cpus"), "1-3"));
	EXPECT_TRUE(affinity_is(pid, "1-2"));
	/* The same write is fine once no task of the container is confined
	 * elsewhere: it is about the tasks, not the masks. */
	ASSERT_EQ(0, ct_mkdir(P("b")));
	ASSERT_EQ(0, ct_write(P("b/cpuset.cpus"), "3"));

	/* An attach that would: refused, and the task stays where it was. */
	EXPECT_EQ(-EBUSY, ct_write_id(P("b/tasks"), pid));
	EXPECT_EQ(-EBUSY, ct_write_id(P("b/container.procs"), pid));
	EXPECT_EQ(1, ct_count_id(P("a/tasks"), pid));
	EXPECT_EQ(0, ct_count_id(P("b/tasks"), pid));
	EXPECT_TRUE(affinity_is(pid, "1-2"));

	/* The cgroup side cannot be refused: when it leaves the two
	 * disjoint, the task runs where its cgroup says, never outside it. */
	ASSERT_EQ(0, cg_write(g, "cpuset.cpus", "0"));
	EXPECT_TRUE(affinity_is(pid, "0"));
	/* And a container change that still leaves them disjoint does not
	 * move it out of its cgroup either. */
	EXPECT_EQ(-EBUSY, ct_write(P("a/cpuset.cpus"), "2-3"));
	EXPECT_TRUE(affinity_is(pid, "0"));
	/* Overlapping again: the intersection applies. */
	ASSERT_EQ(0, cg_write(g, "cpuset.cpus", "0-1"));
	EXPECT_TRUE(affinity_is(pid, "1"));

	ct_reap(pid);
	self->child = 0;
	EXPECT_EQ(0, ct_rmdir(g));
	cg_write(cg, "cgroup.subtree_control", "-cpuset");
	umount(cg);
	rmdir(cg);
}

TEST_F(cs, noprefix_classic_names)
{
	char dir[64];

	strcpy(dir, ct_tmpdir());
	ct_cleanup(self->root);
	ASSERT_EQ(0, ct_mount(dir, "cpuset,memset,noprefix"));
	snprintf(self->p, sizeof(self->p), "%s/cpus", dir);
	EXPECT_TRUE(ct_reads(self->p, "0-3"));
	snprintf(self->p, sizeof(self->p), "%s/mems", dir);
	EXPECT_TRUE(ct_reads(self->p, "0-1"));
	snprintf(self->p, sizeof(self->p), "%s/cpu_exclusive", dir);
	EXPECT_TRUE(ct_exists(self->p));
	snprintf(self->p, sizeof(self->p), "%s/mem_exclusive", dir);
	EXPECT_TRUE(ct_exists(self->p));
	ct_cleanup(dir);
	/* The fixture's teardown cleans an unmounted directory: fine. */
}

TEST_HARNESS_MAIN
