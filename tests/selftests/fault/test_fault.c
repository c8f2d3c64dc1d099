// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection (debug kernel): allocation failures never leave a task
 * outside its container or an operation half done.
 *
 * - fail_container_fork: the fork hook cannot get memory to account for a
 *   child, which then gets it in its own context before it runs a single
 *   instruction of its own, and runs in its container.
 * - fail_container_hooks: the first mount after the module loads cannot
 *   register the exit probe; it fails with ENOMEM, and the next mount
 *   registers both probes.
 * - fail-nth (Documentation/fault-injection/fault-injection.rst): the
 *   allocations of mount, mkdir, moving a task, and writing cpus, mems and
 *   classid are made to fail in turn (a seeded sample of them in
 *   `make check`, every one when soaking). Each failure must be ENOMEM and change
 *   nothing; a run without an injected failure must succeed.
 *   kmemleak and the splat check of `make check` catch leaks and warnings.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "container_util.h"

#define DBG "/sys/kernel/debug"

/* Reads a debugfs value into BUF (to restore it later). */
static void save(const char *path, char *buf, size_t size)
{
	if (ct_read(path, buf, size) <= 0)
		buf[0] = 0;
}

FIXTURE(f) {
	char root[64];
	char p[512];
	char slab_wait[16], page_wait[16], page_order[16], slab_verbose[16], page_verbose[16];
	pid_t child;
};

FIXTURE_SETUP(f)
{
	CT_REQUIRE_MODULE();
	if (!ct_exists(DBG "/failslab/ignore-gfp-wait") ||
	    !ct_exists("/proc/self/fail-nth"))
		SKIP(return, "needs CONFIG_FAILSLAB and CONFIG_FAULT_INJECTION_DEBUG_FS");
	/* Let GFP_KERNEL slab and order-0 page allocations be failed too. */
	save(DBG "/failslab/ignore-gfp-wait", self->slab_wait, sizeof(self->slab_wait));
	save(DBG "/fail_page_alloc/ignore-gfp-wait", self->page_wait, sizeof(self->page_wait));
	save(DBG "/fail_page_alloc/min-order", self->page_order, sizeof(self->page_order));
	save(DBG "/failslab/verbose", self->slab_verbose, sizeof(self->slab_verbose));
	save(DBG "/fail_page_alloc/verbose", self->page_verbose, sizeof(self->page_verbose));
	/* Hundreds of injected failures: no stack dump for each. */
	ct_write(DBG "/failslab/verbose", "0");
	ct_write(DBG "/fail_page_alloc/verbose", "0");
	ASSERT_EQ(0, ct_write(DBG "/failslab/ignore-gfp-wait", "N"));
	ct_write(DBG "/fail_page_alloc/ignore-gfp-wait", "N");
	ct_write(DBG "/fail_page_alloc/min-order", "0");
	strcpy(self->root, ct_tmpdir());
	ASSERT_EQ(0, ct_mount(self->root, "cpuset,memset,net_flow,debug"));
	ASSERT_EQ(0, ct_mkdir(strcat(strcpy(self->p, self->root), "/a")));
}

FIXTURE_TEARDOWN(f)
{
	ct_write("/proc/thread-self/fail-nth", "0");
	if (self->child > 0)
		ct_reap(self->child);
	if (self->slab_wait[0])
		ct_write(DBG "/failslab/ignore-gfp-wait", self->slab_wait);
	if (self->page_wait[0])
		ct_write(DBG "/fail_page_alloc/ignore-gfp-wait", self->page_wait);
	if (self->page_order[0])
		ct_write(DBG "/fail_page_alloc/min-order", self->page_order);
	if (self->slab_verbose[0])
		ct_write(DBG "/failslab/verbose", self->slab_verbose);
	if (self->page_verbose[0])
		ct_write(DBG "/fail_page_alloc/verbose", self->page_verbose);
	ct_write(DBG "/fail_container_fork/probability", "0");
	ct_cleanup(self->root);
}

#define P(fmt, ...) (snprintf(self->p, sizeof(self->p), "%s/" fmt, self->root, ##__VA_ARGS__), self->p)

/* The container's tasks file, for the threads of the test below. */
static char defer_tasks[512];

/* Whether the calling thread runs only on CPU 1 and is listed in the
 * container's tasks file (a thread's start routine: 0 if so). */
static void *check_inside(void *arg)
{
	cpu_set_t set;
	long bad = sched_getaffinity(0, sizeof(set), &set) || !CPU_ISSET(1, &set) ||
		   CPU_COUNT(&set) != 1 ||
		   ct_count_id(defer_tasks, (int)syscall(SYS_gettid)) != 1;

	return (void *)bad;
}

/*
 * The fork hook gets no memory for a new task's membership: the task is
 * deferred and gets it in its own context before it runs user code. It
 * runs in its container, and neither it nor (for a thread) its process is
 * killed: a SIGKILL to a new thread would kill the whole process.
 */
TEST_F(f, fork_without_memory_defers_the_child)
{
	int status;

	if (!ct_exists(DBG "/fail_container_fork/probability"))
		SKIP(return, "no fail_container_fork attribute");
	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "1"));
	ASSERT_EQ(0, ct_write(P("a/memset.mems"), "0"));
	snprintf(defer_tasks, sizeof(defer_tasks), "%s/a/tasks", self->root);
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (self->child == 0) {
		pthread_t t;
		void *bad;
		pid_t g;

		if (ct_write(defer_tasks, "0"))
			_exit(10);
		/* Every fork of this task fails to get memory. */
		if (ct_write(DBG "/fail_container_fork/task-filter", "Y") ||
		    ct_write(DBG "/fail_container_fork/verbose", "0") ||
		    ct_write(DBG "/fail_container_fork/times", "-1") ||
		    ct_write("/proc/self/make-it-fail", "1") ||
		    ct_write(DBG "/fail_container_fork/probability", "100"))
			_exit(11);
		/* Threads, one at a time: each runs in the container. */
		for (int i = 0; i < 20; i++) {
			if (pthread_create(&t, NULL, check_inside, NULL) ||
			    pthread_join(t, &bad))
				_exit(12);
			if (bad)
				_exit(13);
		}
		/* Processes. */
		for (int i = 0; i < 5; i++) {
			g = fork();
			if (g == 0)
				_exit(check_inside(NULL) != NULL);
			if (g < 0 || waitpid(g, &status, 0) != g)
				_exit(14);
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				_exit(15);
		}
		_exit(0);
	}
	ASSERT_EQ(self->child, waitpid(self->child, &status, 0));
	self->child = 0;
	ct_write(DBG "/fail_container_fork/probability", "0");
	EXPECT_FALSE(WIFSIGNALED(status)) TH_LOG("killed by signal %d", WTERMSIG(status));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* Everything exited: the container is empty again. */
	{
		char left[256] = "";

		ct_read(P("a/tasks"), left, sizeof(left));
		EXPECT_STREQ("", left);
	}
}

/* Fault points tried per operation in `make check`, besides the first two;
 * every one when soaking (CONTAINER_SOAK, Documentation/testing.rst). */
#define FAULT_SAMPLES 12
#define FAIL_NTH "/proc/thread-self/fail-nth"

/*
 * Runs OP with its Nth fault-injection point failing: for every N when
 * soaking, else for N = 1, 2 and a seeded random sample of the others (the
 * seed is printed). OP's points are counted first by a run with a failure
 * due only far beyond them. Each failed run must return -ENOMEM and leave
 * UNCHANGED() true; a run that absorbed its failure, like the last, clean
 * one, must return 0. UNDO() then reverts it.
 */
#define EACH_FAILURE(op, unchanged, undo)					\
	do {									\
		int n, ret, points, failures = 0, tried = 0;			\
		unsigned int seed = ct_seed();					\
		char left[16] = "";						\
		ASSERT_EQ(0, ct_write(FAIL_NTH, "1000000"));			\
		ret = (op);							\
		ct_read(FAIL_NTH, left, sizeof(left));				\
		ct_write(FAIL_NTH, "0");					\
		ASSERT_EQ(0, ret);						\
		undo;								\
		points = 1000000 - atoi(left);					\
		ASSERT_LT(0, points);						\
		for (n = 1; n <= points; n++) {					\
			char nth[16];						\
			if (n > 2 && !ct_soak() &&				\
			    rand_r(&seed) % points >= FAULT_SAMPLES)		\
				continue;					\
			tried++;						\
			snprintf(nth, sizeof(nth), "%d", n);			\
			ASSERT_EQ(0, ct_write(FAIL_NTH, nth));			\
			ret = (op);						\
			left[0] = 0;						\
			ct_read(FAIL_NTH, left, sizeof(left));			\
			ct_write(FAIL_NTH, "0");				\
			if (atoi(left) != 0 || ret == 0) {			\
				/* Not injected, or absorbed. */		\
				EXPECT_EQ(0, ret) TH_LOG("point %d", n);	\
				if (ret == 0)					\
					undo;					\
				continue;					\
			}							\
			failures++;						\
			EXPECT_EQ(-ENOMEM, ret) TH_LOG("point %d", n);		\
			EXPECT_TRUE(unchanged) TH_LOG("point %d", n);		\
		}								\
		TH_LOG("%s: %d of %d fault points tried, %d failed it",	\
		       #op, tried, points, failures);				\
		ret = (op);							\
		EXPECT_EQ(0, ret);						\
		EXPECT_GT(failures, 0);						\
		undo;								\
	} while (0)

TEST_F_TIMEOUT(f, mkdir_and_mount, CT_STRESS_TIMEOUT)
{
	char dir[64];

	EACH_FAILURE(ct_mkdir(P("a/x")), !ct_exists(P("a/x")), ct_rmdir(P("a/x")));
	strcpy(dir, ct_tmpdir());
	EACH_FAILURE(ct_mount(dir, "none,name=fault"),
		     !ct_file_contains("/proc/mounts", " name=fault"), umount(dir));
	rmdir(dir);
}

TEST_F_TIMEOUT(f, attach, CT_STRESS_TIMEOUT)
{
	char v[64];

	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "2"));
	ASSERT_EQ(0, ct_write(P("a/memset.mems"), "1"));
	ASSERT_EQ(0, ct_write(P("a/net_flow.classid"), "0x10010"));
	self->child = ct_spawn_sleeper();
	ASSERT_GT(self->child, 0);
	EACH_FAILURE(ct_write_id(P("a/tasks"), self->child),
		     ct_count_id(P("a/tasks"), self->child) == 0 &&
			     ct_reads(P("a/debug.taskcount"), "0"),
		     ct_write_id(P("tasks"), self->child));
	/* Back in the root after the last undo, with every CPU and node. */
	ASSERT_EQ(0, ct_status_field(self->child, "Cpus_allowed_list", v, sizeof(v)));
	EXPECT_STREQ("0-3", v);
	ASSERT_EQ(0, ct_status_field(self->child, "Mems_allowed_list", v, sizeof(v)));
	EXPECT_STREQ("0-1", v);
}

TEST_F_TIMEOUT(f, subsystem_writes, CT_STRESS_TIMEOUT)
{
	char v[64];

	ASSERT_EQ(0, ct_write(P("a/cpuset.cpus"), "0-3"));
	ASSERT_EQ(0, ct_write(P("a/memset.mems"), "0-1"));
	self->child = ct_spawn_sleeper();
	ASSERT_GT(self->child, 0);
	ASSERT_EQ(0, ct_write_id(P("a/tasks"), self->child));
	EACH_FAILURE(ct_write(P("a/cpuset.cpus"), "1"),
		     ct_reads(P("a/cpuset.cpus"), "0-3") &&
			     !ct_status_field(self->child, "Cpus_allowed_list", v, sizeof(v)) &&
			     !strcmp(v, "0-3"),
		     ct_write(P("a/cpuset.cpus"), "0-3"));
	EACH_FAILURE(ct_write(P("a/memset.mems"), "1"),
		     ct_reads(P("a/memset.mems"), "0-1"),
		     ct_write(P("a/memset.mems"), "0-1"));
	/* The first class id registers the packet hook in every namespace. */
	EACH_FAILURE(ct_write(P("a/net_flow.classid"), "0x10010"),
		     ct_reads(P("a/net_flow.classid"), "0"),
		     ct_write(P("a/net_flow.classid"), "0"));
}

#define FAIL_HOOKS DBG "/fail_container_hooks"

/* Whether this process is in a hierarchy named NAME (any container). */
static bool in_hierarchy_named(const char *name)
{
	char buf[4096], want[64];

	snprintf(want, sizeof(want), "name=%s:", name);
	return ct_read("/proc/container_membership", buf, sizeof(buf)) > 0 &&
	       strstr(buf, want) != NULL;
}

FIXTURE(hooks) {
	char dir[64];
	pid_t child;
};

/* A fresh load of the module, with nothing mounted. */
FIXTURE_SETUP(hooks)
{
	char mounts[8192];

	if (geteuid())
		SKIP(return, "needs root");
	if (!getenv("CONTAINER_KO"))
		SKIP(return, "needs CONTAINER_KO to reload the module");
	if (ct_load_module())
		SKIP(return, "container module not available");
	if (!ct_exists(FAIL_HOOKS "/probability"))
		SKIP(return, "no fail_container_hooks attribute");
	if (ct_unload_module()) {
		ct_read("/proc/mounts", mounts, sizeof(mounts));
		ASSERT_TRUE(false) TH_LOG("the module cannot be unloaded; mounts:\n%s", mounts);
	}
	ASSERT_EQ(0, ct_load_module());
	strcpy(self->dir, ct_tmpdir());
}

FIXTURE_TEARDOWN(hooks)
{
	ct_write(FAIL_HOOKS "/probability", "0");
	if (self->child > 0)
		ct_reap(self->child);
	ct_cleanup(self->dir);
	rmdir(self->dir);
}

/*
 * The first mount after the module loads registers the fork and exit
 * probes. When the exit probe cannot be registered (fail_container_hooks,
 * after the fork probe was), that mount fails with ENOMEM and leaves no
 * hierarchy and no probe behind (a fork probe left registered would make
 * the next registration fail with EEXIST; kmemleak and the splat check see
 * the rest); the next mount registers both: a child forked in a container
 * is listed there, and is gone from it once it has exited (still a
 * zombie), so that the container can be removed.
 */
TEST_F(hooks, first_mount_cannot_register_them)
{
	char x[128], tasks[160], root_tasks[128];
	siginfo_t info;

	ASSERT_EQ(0, ct_write(FAIL_HOOKS "/verbose", "0"));
	ASSERT_EQ(0, ct_write(FAIL_HOOKS "/times", "1"));
	ASSERT_EQ(0, ct_write(FAIL_HOOKS "/probability", "100"));
	EXPECT_EQ(-ENOMEM, ct_mount(self->dir, "none,name=hooks"));
	ASSERT_EQ(0, ct_write(FAIL_HOOKS "/probability", "0"));
	EXPECT_FALSE(in_hierarchy_named("hooks"));

	ASSERT_EQ(0, ct_mount(self->dir, "none,name=hooks"));
	EXPECT_TRUE(in_hierarchy_named("hooks"));
	snprintf(x, sizeof(x), "%s/x", self->dir);
	snprintf(tasks, sizeof(tasks), "%s/x/tasks", self->dir);
	snprintf(root_tasks, sizeof(root_tasks), "%s/tasks", self->dir);
	ASSERT_EQ(0, ct_mkdir(x));
	ASSERT_EQ(0, ct_write_id(tasks, getpid()));
	self->child = ct_spawn_sleeper();
	ASSERT_EQ(0, ct_write_id(root_tasks, getpid()));
	ASSERT_GT(self->child, 0);
	/* The fork probe put the child where its parent was. */
	EXPECT_EQ(1, ct_count_id(tasks, self->child));
	/* The exit probe takes it out when it exits, before it is reaped. */
	ASSERT_EQ(0, kill(self->child, SIGKILL));
	ASSERT_EQ(0, waitid(P_PID, self->child, &info, WEXITED | WNOWAIT));
	EXPECT_EQ(0, ct_count_id(tasks, self->child));
	EXPECT_EQ(0, ct_rmdir(x));
}

TEST_HARNESS_MAIN
