// SPDX-License-Identifier: GPL-2.0
/*
 * Tasks: reading and writing `tasks` and `container.procs`, the errnos of
 * a move, permissions and delegation, inheritance on fork across several
 * hierarchies, cleanup on exit, and a fork storm racing with moves.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "container_util.h"

FIXTURE(t) {
	char root[64], root2[64];
	char p[512], q[512];
};

FIXTURE_SETUP(t)
{
	CT_REQUIRE_MODULE();
	strcpy(self->root, ct_tmpdir());
	strcpy(self->root2, ct_tmpdir());
	ASSERT_EQ(0, ct_mount(self->root, "debug"));
	ASSERT_EQ(0, ct_mkdir(strcat(strcpy(self->p, self->root), "/a")));
	ASSERT_EQ(0, ct_mkdir(strcat(strcpy(self->p, self->root), "/b")));
}

FIXTURE_TEARDOWN(t)
{
	ct_cleanup(self->root);
	ct_cleanup(self->root2);
}

#define P(fmt, ...) (snprintf(self->p, sizeof(self->p), "%s/" fmt, self->root, ##__VA_ARGS__), self->p)
#define Q(fmt, ...) (snprintf(self->q, sizeof(self->q), "%s/" fmt, self->root2, ##__VA_ARGS__), self->q)

TEST_F(t, move_self_and_back)
{
	ASSERT_EQ(0, ct_write(P("a/tasks"), "0"));
	EXPECT_EQ(1, ct_count_id(P("a/tasks"), getpid()));
	EXPECT_EQ(0, ct_count_id(P("tasks"), getpid()));
	EXPECT_EQ(1, ct_read_long(P("a/debug.taskcount")));
	EXPECT_EQ(-EBUSY, ct_rmdir(P("a")));
	ASSERT_EQ(0, ct_write_id(P("b/tasks"), getpid()));
	EXPECT_EQ(0, ct_count_id(P("a/tasks"), getpid()));
	EXPECT_EQ(1, ct_count_id(P("b/tasks"), getpid()));
	EXPECT_EQ(0, ct_read_long(P("a/debug.taskcount")));
	ASSERT_EQ(0, ct_write_id(P("tasks"), getpid()));
	EXPECT_EQ(1, ct_count_id(P("tasks"), getpid()));
	EXPECT_EQ(0, ct_count_lines(P("b/tasks")));
	EXPECT_EQ(0, ct_rmdir(P("a")));
}

TEST_F(t, exit_leaves_container)
{
	pid_t child = ct_spawn_sleeper();

	ASSERT_LT(0, child);
	ASSERT_EQ(0, ct_write_id(P("a/tasks"), child));
	EXPECT_EQ(1, ct_count_id(P("a/tasks"), child));
	EXPECT_EQ(1, ct_read_long(P("a/debug.taskcount")));
	ct_reap(child);
	EXPECT_EQ(0, ct_count_lines(P("a/tasks")));
	EXPECT_EQ(0, ct_read_long(P("a/debug.taskcount")));
	EXPECT_EQ(0, ct_rmdir(P("a")));
}

TEST_F(t, debug_refcount)
{
	pid_t child = ct_spawn_sleeper();
	int fd;

	ASSERT_LT(0, child);
	/* Reading the file opens it: one open file. */
	EXPECT_TRUE(ct_reads(P("a/debug.refcount"), "tasks 0\nchildren 0\nopen_files 1"));
	ASSERT_EQ(0, ct_write_id(P("a/tasks"), child));
	ASSERT_EQ(0, ct_mkdir(P("a/c")));
	fd = open(P("a/tasks"), O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_TRUE(ct_reads(P("a/debug.refcount"), "tasks 1\nchildren 1\nopen_files 2"));
	close(fd);
	ct_reap(child);
	EXPECT_EQ(0, ct_rmdir(P("a/c")));
	EXPECT_TRUE(ct_reads(P("a/debug.refcount"), "tasks 0\nchildren 0\nopen_files 1"));
}

TEST_F(t, write_errors)
{
	pid_t zombie;

	EXPECT_EQ(-EINVAL, ct_write(P("a/tasks"), "abc"));
	EXPECT_EQ(-EINVAL, ct_write(P("a/tasks"), "-1"));
	EXPECT_EQ(-EINVAL, ct_write(P("a/tasks"), "1 2"));
	EXPECT_EQ(-EINVAL, ct_write(P("a/tasks"), ""));
	EXPECT_EQ(-ESRCH, ct_write(P("a/tasks"), "4000000"));
	/* kthreadd: kernel threads stay in the root. */
	EXPECT_EQ(-EINVAL, ct_write(P("a/tasks"), "2"));
	/* An exited, unreaped task. */
	zombie = fork();
	if (zombie == 0)
		_exit(0);
	{
		siginfo_t si;

		/* Wait for the exit without reaping it. */
		ASSERT_EQ(0, waitid(P_PID, zombie, &si, WEXITED | WNOWAIT));
	}
	EXPECT_EQ(-ESRCH, ct_write_id(P("a/tasks"), zombie));
	waitpid(zombie, NULL, 0);
	/* Nothing moved. */
	EXPECT_EQ(0, ct_count_lines(P("a/tasks")));
}

TEST_F(t, fork_inherits_in_every_hierarchy)
{
	pid_t child;

	ASSERT_EQ(0, ct_mount(self->root2, "none,name=ctasks"));
	ASSERT_EQ(0, ct_mkdir(Q("x")));
	ASSERT_EQ(0, ct_write(P("a/tasks"), "0"));
	ASSERT_EQ(0, ct_write(Q("x/tasks"), "0"));
	child = ct_spawn_sleeper();
	ASSERT_LT(0, child);
	EXPECT_EQ(1, ct_count_id(P("a/tasks"), child));
	EXPECT_EQ(1, ct_count_id(Q("x/tasks"), child));
	EXPECT_EQ(0, ct_count_id(P("tasks"), child));
	EXPECT_EQ(0, ct_count_id(Q("tasks"), child));
	/* Moving the child in one hierarchy leaves the other alone. */
	ASSERT_EQ(0, ct_write_id(P("b/tasks"), child));
	EXPECT_EQ(1, ct_count_id(P("b/tasks"), child));
	EXPECT_EQ(1, ct_count_id(Q("x/tasks"), child));
	ct_reap(child);
	EXPECT_EQ(0, ct_count_id(Q("x/tasks"), child));
}

static volatile pid_t idle_tid;

static void *idle_thread(void *arg)
{
	idle_tid = gettid();
	pause();
	return arg;
}

TEST_F(t, threads_and_procs)
{
	pthread_t th;
	pid_t tid;

	idle_tid = 0;
	ASSERT_EQ(0, pthread_create(&th, NULL, idle_thread, NULL));
	/* The other thread's id, once it has run. */
	ASSERT_TRUE(ct_wait_until(idle_tid != 0));
	tid = idle_tid;
	/* tasks moves one thread. */
	ASSERT_EQ(0, ct_write_id(P("a/tasks"), tid));
	EXPECT_EQ(1, ct_count_id(P("a/tasks"), tid));
	EXPECT_EQ(0, ct_count_id(P("a/tasks"), getpid()));
	EXPECT_EQ(1, ct_count_id(P("a/container.procs"), getpid()));
	/* container.procs moves every thread. */
	ASSERT_EQ(0, ct_write_id(P("b/container.procs"), tid));
	EXPECT_EQ(1, ct_count_id(P("b/tasks"), tid));
	EXPECT_EQ(1, ct_count_id(P("b/tasks"), getpid()));
	EXPECT_EQ(1, ct_count_id(P("b/container.procs"), getpid()));
	EXPECT_EQ(0, ct_count_lines(P("a/tasks")));
	EXPECT_EQ(2, ct_read_long(P("b/debug.taskcount")));
	pthread_cancel(th);
	pthread_join(th, NULL);
	/* join returns when the thread clears its tid in exit_mm(), a little
	 * before it leaves its containers in do_exit(). */
	EXPECT_TRUE(ct_wait_until(ct_read_long(P("b/debug.taskcount")) == 1));
	EXPECT_EQ(0, ct_count_id(P("b/tasks"), tid));
}

TEST_F(t, permissions_and_delegation)
{
	pid_t child;
	int status;

	/* An unprivileged user: may move itself once the file is delegated
	 * to it, never a task of another user. */
	ASSERT_EQ(0, chown(P("a/tasks"), 65534, 65534));
	child = fork();
	if (child == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(10);
		if (ct_write_id(P("b/tasks"), getpid()) != -EACCES)
			_exit(11); /* b/tasks is root's 0644 file */
		if (ct_write(P("a/tasks"), "1") != -EACCES)
			_exit(12); /* init is root's */
		if (ct_write(P("a/tasks"), "0"))
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, ct_count_id(P("a/tasks"), 1));
}

/*
 * A fork storm while the forking processes are moved between containers:
 * every live task must end up in exactly one container of the hierarchy,
 * and the debug counts must agree with the tasks files.
 */
TEST_F_TIMEOUT(t, fork_storm_with_moves, CT_STRESS_TIMEOUT)
{
	enum { FORKERS = 4 };
	double end = ct_now() + ct_stress_seconds(4);
	pid_t forkers[FORKERS];
	int i, j, total, in_a, in_b, in_root;

	for (i = 0; i < FORKERS; i++) {
		forkers[i] = fork();
		if (forkers[i] == 0) {
			for (;;) {
				pid_t c = fork();

				if (c == 0) {
					if (fork() == 0)
						usleep(1000);
					_exit(0);
				}
				if (c > 0)
					waitpid(c, NULL, 0);
			}
		}
		ASSERT_LT(0, forkers[i]);
	}
	/* Moves for a bounded time, at least one round of each kind. */
	for (j = 0; j < 3 || ct_now() < end; j++) {
		const char *dst = j % 3 == 0 ? "a" : j % 3 == 1 ? "b" : ".";

		for (i = 0; i < FORKERS; i++) {
			int ret;

			snprintf(self->p, sizeof(self->p), "%s/%s/container.procs", self->root, dst);
			ret = ct_write_id(self->p, forkers[i]);
			ASSERT_TRUE(ret == 0 || ret == -ESRCH);
		}
	}
	for (i = 0; i < FORKERS; i++)
		ASSERT_EQ(0, ct_write_id(P("a/container.procs"), forkers[i]));
	/* The storm goes on: tasks forked before the last move exit within
	 * milliseconds (seconds under emulation), and every task forked since
	 * must be in the forkers' container, so b empties. */
	TH_LOG("%d rounds of moves", j);
	EXPECT_TRUE(ct_wait_until(ct_count_lines(P("b/tasks")) == 0));
	in_a = ct_count_lines(P("a/tasks"));
	EXPECT_LE(FORKERS, in_a);
	for (i = 0; i < FORKERS; i++) {
		EXPECT_EQ(1, ct_count_id(P("a/tasks"), forkers[i]));
		EXPECT_EQ(0, ct_count_id(P("tasks"), forkers[i]));
	}
	for (i = 0; i < FORKERS; i++)
		ct_reap(forkers[i]);
	/* Grandchildren orphaned by the storm may still be exiting; settle. */
	ct_wait_until(ct_count_lines(P("a/tasks")) + ct_count_lines(P("b/tasks")) == 0);
	in_a = ct_count_lines(P("a/tasks"));
	in_b = ct_count_lines(P("b/tasks"));
	EXPECT_EQ(0, in_a);
	EXPECT_EQ(0, in_b);
	EXPECT_EQ(in_a, ct_read_long(P("a/debug.taskcount")));
	EXPECT_EQ(in_b, ct_read_long(P("b/debug.taskcount")));
	/* Every live task is listed exactly once across the hierarchy. */
	in_root = ct_count_lines(P("tasks"));
	total = ct_read_long(P("debug.taskcount"));
	EXPECT_EQ(in_root, total);
	EXPECT_EQ(1, ct_count_id(P("tasks"), getpid()));
}

TEST_HARNESS_MAIN
