// SPDX-License-Identifier: GPL-2.0
/*
 * Membership soundness: a task never leaves its containers by racing a move
 * with its own creation.
 *
 * - early_move_keeps_other_hierarchies: a thread is visible (to a
 *   `container.procs` scan, or by pid) a little before the fork hook gives
 *   it its parent's containers. A move in that window must not drop it into
 *   the root of every other hierarchy: every new thread checks its own
 *   membership, in both hierarchies.
 * - procs_move_takes_every_thread: a process whose threads keep replacing
 *   themselves (each creates its successor, then exits) is moved back and
 *   forth through `container.procs`; after each successful write no thread
 *   of it may be left in the container it left (such a thread would pass
 *   the old container on to its successors for ever).
 * - procs_move_leaves_other_forks_alone: while a `container.procs` write
 *   moves one process, a process of another thread group forks; its
 *   children must stay where their parent is (the root). The write's mark
 *   for "new threads of the group being moved" once matched every new
 *   task of the system, kernel threads included.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "container_util.h"

FIXTURE(m) {
	char root[64], root2[64], cg[64];
	char p[512], q[512];
	pid_t child;
};

FIXTURE_SETUP(m)
{
	CT_REQUIRE_MODULE();
	strcpy(self->root, ct_tmpdir());
	strcpy(self->root2, ct_tmpdir());
	ASSERT_EQ(0, ct_mount(self->root, "debug"));
	ASSERT_EQ(0, ct_mount(self->root2, "none,name=memb"));
	ASSERT_EQ(0, ct_mkdir(strcat(strcpy(self->p, self->root), "/a")));
	ASSERT_EQ(0, ct_mkdir(strcat(strcpy(self->p, self->root), "/a2")));
	ASSERT_EQ(0, ct_mkdir(strcat(strcpy(self->q, self->root2), "/b")));
}

FIXTURE_TEARDOWN(m)
{
	char path[128];

	if (self->child > 0)
		ct_reap(self->child);
	if (self->cg[0]) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", self->cg);
		ct_write_id(path, getpid());
		snprintf(path, sizeof(path), "%s/g", self->cg);
		rmdir(path);
		snprintf(path, sizeof(path), "%s/cgroup.subtree_control", self->cg);
		ct_write(path, "-cpuset");
		umount(self->cg);
		rmdir(self->cg);
	}
	ct_cleanup(self->root);
	ct_cleanup(self->root2);
}

#define P(fmt, ...) (snprintf(self->p, sizeof(self->p), "%s/" fmt, self->root, ##__VA_ARGS__), self->p)
#define Q(fmt, ...) (snprintf(self->q, sizeof(self->q), "%s/" fmt, self->root2, ##__VA_ARGS__), self->q)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- early_move_keeps_other_hierarchies --- */

/* Best effort: puts this process in a cgroup v2 cpuset below the root,
 * whose fork callback (cgroup_post_fork() → cpuset_fork() →
 * set_cpus_allowed_ptr()) runs in the window between a new thread becoming
 * visible and the module's fork hook, so the window is wider. */
static void widen_window(char *cg, size_t size)
{
	char path[128];

	snprintf(cg, size, "%s", ct_tmpdir());
	if (mount("none", cg, "cgroup2", 0, NULL))
		goto fail;
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg);
	if (ct_write(path, "+cpuset"))
		goto fail_umount;
	snprintf(path, sizeof(path), "%s/g", cg);
	if (ct_mkdir(path))
		goto fail_umount;
	snprintf(path, sizeof(path), "%s/g/cgroup.procs", cg);
	if (ct_write_id(path, getpid()))
		goto fail_umount;
	return;
fail_umount:
	umount(cg);
fail:
	rmdir(cg);
	cg[0] = 0;
}

static atomic_bool stop;
static atomic_long checked, escaped, writes, write_errors;
static char first_escape[1024];
static pthread_mutex_t first_lock = PTHREAD_MUTEX_INITIALIZER;

/* A new thread: reads its own membership (reading without a write shows
 * the reader's), which must be a in the first hierarchy and b in the
 * second. */
static void *check_self(void *arg)
{
	char buf[1024];
	ssize_t n = ct_read("/proc/container_membership", buf, sizeof(buf));

	if (n <= 0)
		return NULL;
	atomic_fetch_add(&checked, 1);
	if (!strstr(buf, ":/a\n") || !strstr(buf, ":/b\n")) {
		atomic_fetch_add(&escaped, 1);
		pthread_mutex_lock(&first_lock);
		if (!first_escape[0])
			snprintf(first_escape, sizeof(first_escape), "%s", buf);
		pthread_mutex_unlock(&first_lock);
	}
	return NULL;
}

/* Creates threads that check themselves until told to stop. */
static void *spawner(void *arg)
{
	while (!atomic_load(&stop)) {
		pthread_t th[4];
		int i, n = 0;

		for (i = 0; i < 4; i++)
			if (!pthread_create(&th[n], NULL, check_self, NULL))
				n++;
		for (i = 0; i < n; i++)
			pthread_join(th[i], NULL);
	}
	return NULL;
}

/* Moves this process into a (where it already is) over and over: each
 * write moves exactly the threads not in a yet, i.e. those whose fork hook
 * has not run. */
static void *mover(void *arg)
{
	int fd = open(arg, O_WRONLY);

	if (fd < 0) {
		atomic_fetch_add(&write_errors, 1);
		return NULL;
	}
	while (!atomic_load(&stop)) {
		if (pwrite(fd, "0", 1, 0) == 1)
			atomic_fetch_add(&writes, 1);
		else
			atomic_fetch_add(&write_errors, 1);
	}
	close(fd);
	return NULL;
}

TEST_F_TIMEOUT(m, early_move_keeps_other_hierarchies, CT_STRESS_TIMEOUT)
{
	pthread_t sp[3], mv;
	double end;
	int i;

	widen_window(self->cg, sizeof(self->cg));
	if (!self->cg[0])
		TH_LOG("no cgroup v2 cpuset: the race window stays narrow");
	ASSERT_EQ(0, ct_write(P("a/container.procs"), "0"));
	ASSERT_EQ(0, ct_write(Q("b/container.procs"), "0"));
	/* A thread created without a concurrent move is in both. */
	check_self(NULL);
	ASSERT_EQ(1, atomic_load(&checked));
	ASSERT_EQ(0, atomic_load(&escaped)) TH_LOG("%s", first_escape);

	ASSERT_EQ(0, pthread_create(&mv, NULL, mover, P("a/container.procs")));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&sp[i], NULL, spawner, NULL));
	end = now() + ct_stress_seconds(5);
	while (now() < end && !atomic_load(&escaped))
		usleep(50000);
	atomic_store(&stop, true);
	for (i = 0; i < 3; i++)
		pthread_join(sp[i], NULL);
	pthread_join(mv, NULL);
	TH_LOG("%ld threads checked, %ld moves", atomic_load(&checked), atomic_load(&writes));
	EXPECT_EQ(0, atomic_load(&write_errors));
	EXPECT_LT(0, atomic_load(&writes));
	EXPECT_LT(1, atomic_load(&checked));
	EXPECT_EQ(0, atomic_load(&escaped)) {
		TH_LOG("%ld threads outside a or b, first:\n%s", atomic_load(&escaped), first_escape);
	}
	/* Every thread left is still in both (only this one is left). */
	EXPECT_EQ(1, ct_count_id(P("a/container.procs"), getpid()));
	EXPECT_EQ(1, ct_count_id(Q("b/container.procs"), getpid()));
	EXPECT_EQ(0, ct_count_id(P("tasks"), getpid()));
	EXPECT_EQ(0, ct_count_id(Q("tasks"), getpid()));
}

/* --- procs_move_takes_every_thread --- */

#define CHAINS 8
#define BALLAST 256

/* A chain: each thread creates its successor, then exits. */
static void *chain_link(void *arg)
{
	pthread_t next;
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 << 10);
	while (pthread_create(&next, &attr, chain_link, NULL))
		usleep(1000);
	return NULL;
}

static void *idle(void *arg)
{
	for (;;)
		pause();
	return NULL;
}

/* A process with BALLAST idle threads, which make every scan of a move
 * long enough to be preempted, and CHAINS chains; writes a byte to FD once
 * they run. */
static void chains(int fd)
{
	pthread_t th;
	pthread_attr_t attr;
	int i;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 << 10);
	for (i = 0; i < BALLAST; i++)
		if (pthread_create(&th, &attr, idle, NULL))
			_exit(1);
	for (i = 0; i < CHAINS; i++)
		if (pthread_create(&th, &attr, chain_link, NULL))
			_exit(1);
	if (write(fd, "x", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

/* Waits up to 5 s for PATH (a tasks file) to list no task; true if so.
 * Threads that were exiting during the move were skipped by it and leave
 * on their own within that time. */
static bool empties(const char *path)
{
	double end = now() + 5;

	do {
		if (ct_count_lines(path) == 0)
			return true;
		usleep(10000);
	} while (now() < end);
	return false;
}

TEST_F_TIMEOUT(m, procs_move_takes_every_thread, CT_STRESS_TIMEOUT)
{
	const char *from = "a", *to = "a2", *t;
	int fds[2], moves = 0;
	cpu_set_t one;
	double end;
	char c;

	/* One CPU for the mover and the process: the threads run whenever a
	 * scan of the move is preempted (the emulator interleaves virtual
	 * CPUs too coarsely to rely on). */
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
	ASSERT_EQ(0, pipe(fds));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		close(fds[0]);
		if (ct_write(P("a/container.procs"), "0"))
			_exit(1);
		chains(fds[1]);
	}
	close(fds[1]);
	ASSERT_EQ(1, read(fds[0], &c, 1));
	close(fds[0]);
	ASSERT_EQ(1, ct_count_id(P("a/container.procs"), self->child));

	end = now() + ct_stress_seconds(4);
	do {
		ASSERT_EQ(0, ct_write_id(P("%s/container.procs", to), self->child));
		moves++;
		EXPECT_TRUE(empties(P("%s/tasks", from))) {
			char left[4096] = "";

			ct_read(P("%s/tasks", from), left, sizeof(left));
			TH_LOG("move %d to %s left threads in %s:\n%s", moves, to, from, left);
			break;
		}
		ASSERT_EQ(1, ct_count_id(P("%s/container.procs", to), self->child));
		ASSERT_EQ(0, ct_count_id(P("tasks"), self->child));
		t = from;
		from = to;
		to = t;
	} while (now() < end);
	TH_LOG("%d moves", moves);
}

static void *sleeping_thread(void *arg)
{
	pause();
	return arg;
}

TEST_F_TIMEOUT(m, procs_move_leaves_other_forks_alone, CT_STRESS_TIMEOUT)
{
	double end = ct_now() + ct_stress_seconds(4);
	char a_tasks[512], a2_tasks[512];
	int status, moves = 0, stop[2];
	pid_t target, forker;

	snprintf(a_tasks, sizeof(a_tasks), "%s/a/tasks", self->root);
	snprintf(a2_tasks, sizeof(a2_tasks), "%s/a2/tasks", self->root);
	/* The process moved: a dozen threads make each write take a while. */
	target = fork();
	ASSERT_GE(target, 0);
	if (target == 0) {
		pthread_t th;

		for (int i = 0; i < 12; i++)
			pthread_create(&th, NULL, sleeping_thread, NULL);
		pause();
		_exit(0);
	}
	self->child = target;
	/* The other process, in the root: forks until the pipe closes. Exit
	 * status: how many of its children found themselves in a or a2. */
	ASSERT_EQ(0, pipe2(stop, O_NONBLOCK));
	forker = fork();
	ASSERT_GE(forker, 0);
	if (forker == 0) {
		int captured = 0, children = 0;
		char c0;

		close(stop[1]);
		while (read(stop[0], &c0, 1) < 0 && errno == EAGAIN) {
			pid_t c = fork();

			children++;
			if (c == 0)
				_exit(ct_count_id(a_tasks, getpid()) + ct_count_id(a2_tasks, getpid()) ? 1 : 0);
			if (c < 0 || waitpid(c, &status, 0) != c || !WIFEXITED(status) ||
			    WEXITSTATUS(status))
				captured++;
		}
		printf("# %d children forked beside the moves\n", children);
		fflush(stdout);
		_exit(captured > 255 ? 255 : captured);
	}
	close(stop[0]);
	while (moves < 20 || ct_now() < end) {
		ASSERT_EQ(0, ct_write_id(P("%s/container.procs", moves % 2 ? "a" : "a2"), target));
		moves++;
	}
	close(stop[1]);
	ASSERT_EQ(forker, waitpid(forker, &status, 0));
	TH_LOG("%d moves", moves);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("%d children of a process in the root were put in the moved process's container",
						 WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
