// SPDX-License-Identifier: GPL-2.0
/*
 * Release notification: container.events ("populated 0|1", recursive)
 * wakes poll() when it changes, and the release agent runs with the
 * container's path when a notify_on_release container becomes empty.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "container_util.h"

#define AGENT "/tmp/ct_release_agent.sh"
#define AGENT_OUT "/tmp/ct_release_agent.out"

FIXTURE(e) {
	char root[64];
	char p[512];
};

FIXTURE_SETUP(e)
{
	CT_REQUIRE_MODULE();
	strcpy(self->root, ct_tmpdir());
	ASSERT_EQ(0, ct_mount(self->root, "debug"));
}

FIXTURE_TEARDOWN(e)
{
	ct_cleanup(self->root);
	unlink(AGENT);
	unlink(AGENT_OUT);
}

#define P(fmt, ...) (snprintf(self->p, sizeof(self->p), "%s/" fmt, self->root, ##__VA_ARGS__), self->p)

/* True if FILE contains WANT. */
static bool has(const char *file, const char *want)
{
	char buf[256];

	return ct_read(file, buf, sizeof(buf)) >= 0 && strstr(buf, want);
}

/* Polls until FILE contains WANT (exit and the agent are asynchronous). */
#define wait_for(file, want) ct_wait_until(has(file, want))

/* poll(2) limit for a change that is due: detects a hang only. */
#define DUE_MS (CT_WAIT_SECONDS * 1000)

/* Installs a release agent script with BODY (after "#!/bin/sh") and
 * forgets earlier agent output; 0 on success. */
static int install_agent(const char *body)
{
	FILE *f = fopen(AGENT, "w");

	if (!f)
		return -1;
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	unlink(AGENT_OUT);
	return chmod(AGENT, 0755);
}

TEST_F(e, populated_is_recursive)
{
	char buf[64];
	pid_t child;

	ASSERT_EQ(0, ct_mkdir(P("a")));
	ASSERT_EQ(0, ct_mkdir(P("a/b")));
	ASSERT_LT(0, ct_read(P("a/container.events"), buf, sizeof(buf)));
	EXPECT_STREQ("populated 0\n", buf);
	child = ct_spawn_sleeper();
	ASSERT_EQ(0, ct_write_id(P("a/b/tasks"), child));
	ASSERT_LT(0, ct_read(P("a/b/container.events"), buf, sizeof(buf)));
	EXPECT_STREQ("populated 1\n", buf);
	ASSERT_LT(0, ct_read(P("a/container.events"), buf, sizeof(buf)));
	EXPECT_STREQ("populated 1\n", buf);
	ct_reap(child);
	EXPECT_TRUE(wait_for(P("a/container.events"), "populated 0\n"));
	EXPECT_TRUE(wait_for(P("a/b/container.events"), "populated 0\n"));
}

TEST_F(e, poll_wakes_on_change)
{
	struct pollfd pfd;
	char buf[64];
	pid_t child;
	int fd;

	ASSERT_EQ(0, ct_mkdir(P("a")));
	ASSERT_EQ(0, ct_mkdir(P("a/b")));
	fd = open(P("a/container.events"), O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, read(fd, buf, sizeof(buf)));
	pfd = (struct pollfd){ .fd = fd, .events = POLLPRI };
	/* Nothing changed yet. */
	EXPECT_EQ(0, poll(&pfd, 1, 100));
	child = fork();
	if (child == 0) {
		/* Populate a descendant while the parent sleeps in poll(). */
		usleep(300000);
		ct_write(P("a/b/tasks"), "0");
		pause();
		_exit(0);
	}
	ASSERT_EQ(1, poll(&pfd, 1, DUE_MS));
	EXPECT_TRUE(pfd.revents & POLLPRI);
	ASSERT_EQ(0, lseek(fd, 0, SEEK_SET));
	ASSERT_LT(0, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, strncmp(buf, "populated 1\n", 12));
	/* Read again: no change pending any more. */
	EXPECT_EQ(0, poll(&pfd, 1, 100));
	ct_reap(child);
	EXPECT_EQ(1, poll(&pfd, 1, DUE_MS));
	close(fd);
}

/* Waits up to MS for an IN_MODIFY event on inotify descriptor FD. */
static bool inotify_modified(int fd, int ms)
{
	char buf[sizeof(struct inotify_event) + 256];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, ms) != 1)
		return false;
	n = read(fd, buf, sizeof(buf));
	return n >= (ssize_t)sizeof(struct inotify_event) &&
	       (((struct inotify_event *)buf)->mask & IN_MODIFY);
}

TEST_F(e, inotify_sees_populated_change)
{
	pid_t child;
	int fd;

	ASSERT_EQ(0, ct_mkdir(P("a")));
	ASSERT_EQ(0, ct_mkdir(P("a/b")));
	fd = inotify_init1(IN_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, inotify_add_watch(fd, P("a/container.events"), IN_MODIFY));
	EXPECT_FALSE(inotify_modified(fd, 100));
	/* A task enters a descendant: populated 0 -> 1. */
	child = ct_spawn_sleeper();
	ASSERT_EQ(0, ct_write_id(P("a/b/tasks"), child));
	EXPECT_TRUE(inotify_modified(fd, DUE_MS));
	/* It exits: 1 -> 0. */
	ct_reap(child);
	EXPECT_TRUE(inotify_modified(fd, DUE_MS));
	EXPECT_TRUE(wait_for(P("a/container.events"), "populated 0\n"));
	/* Removing the watched container ends the watch (IN_IGNORED), no
	 * event of ours on a freed inode. */
	ASSERT_EQ(0, ct_rmdir(P("a/b")));
	ASSERT_EQ(0, ct_rmdir(P("a")));
	close(fd);
}

TEST_F(e, release_agent_runs_with_path)
{
	pid_t child;

	ASSERT_EQ(0, install_agent("echo \"$1\" >> " AGENT_OUT "\n"));
	ASSERT_EQ(0, ct_write(P("release_agent"), AGENT));
	ASSERT_EQ(0, ct_mkdir(P("a")));
	ASSERT_EQ(0, ct_mkdir(P("a/b")));
	ASSERT_EQ(0, ct_write(P("a/b/notify_on_release"), "1"));
	child = ct_spawn_sleeper();
	ASSERT_EQ(0, ct_write_id(P("a/b/tasks"), child));
	ct_reap(child);
	/* The last task left a/b: the agent gets its path. */
	EXPECT_TRUE(wait_for(AGENT_OUT, "/a/b\n"));
	/* a has notify_on_release 0: removing its last child runs nothing for
	 * it; with 1 it does. */
	ASSERT_EQ(0, ct_write(P("a/notify_on_release"), "1"));
	ASSERT_EQ(0, ct_rmdir(P("a/b")));
	EXPECT_TRUE(wait_for(AGENT_OUT, "\n/a\n"));
}

/* Number of lines of FILE that start with PREFIX; -1 if unreadable. */
static int count_prefix(const char *file, const char *prefix)
{
	char line[256];
	int n = 0;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += !strncmp(line, prefix, strlen(prefix));
	fclose(f);
	return n;
}

/*
 * Whoever may create containers can release many at once, and each release
 * runs a root helper. The kernel runs at most 4 release agents at a time;
 * the others wait their turn, and every released container still gets its
 * agent, once. The agent logs when it starts and ends: at no point in the
 * log may more than 4 be running.
 */
TEST_F_TIMEOUT(e, release_agents_run_few_at_a_time, CT_STRESS_TIMEOUT)
{
	enum { N = 12 };
	pid_t kids[N];
	char line[256];
	int running = 0, most = 0, starts[N] = { 0 };
	FILE *f;

	ASSERT_EQ(0, install_agent("echo \"s $1\" >> " AGENT_OUT "\nsleep 2\n"
				   "echo \"e $1\" >> " AGENT_OUT "\n"));
	ASSERT_EQ(0, ct_write(P("release_agent"), AGENT));
	for (int i = 0; i < N; i++) {
		ASSERT_EQ(0, ct_mkdir(P("c%d", i)));
		ASSERT_EQ(0, ct_write(P("c%d/notify_on_release", i), "1"));
		kids[i] = ct_spawn_sleeper();
		ASSERT_GT(kids[i], 0);
		ASSERT_EQ(0, ct_write_id(P("c%d/tasks", i), kids[i]));
	}
	/* Release them all at once. */
	for (int i = 0; i < N; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < N; i++)
		waitpid(kids[i], NULL, 0);
	/* Each agent sleeps 2 s: 4 at a time take 6 s, plus their starts. */
	EXPECT_TRUE(ct_wait_until(count_prefix(AGENT_OUT, "e ") >= N));
	f = fopen(AGENT_OUT, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		int i;

		if (line[0] == 's') {
			running++;
			if (running > most)
				most = running;
			if (sscanf(line, "s /c%d", &i) == 1 && i >= 0 && i < N)
				starts[i]++;
		} else if (line[0] == 'e') {
			running--;
		}
	}
	fclose(f);
	TH_LOG("at most %d release agents ran at once", most);
	EXPECT_GE(4, most);
	for (int j = 0; j < N; j++) {
		int i = j;

		EXPECT_EQ(1, starts[i]) TH_LOG("agent runs for /c%d", i);
	}
}

/*
 * The events work visits the containers whose populated changed (and the
 * ancestors it changed with them), not every container of every
 * hierarchy: among a hundred containers, a task entering and leaving one
 * makes it visit at most a few that had no event (debug.lock_scan "events
 * N"; a scan of every container would visit the hundred). The release
 * agent tells when the events were delivered.
 */
TEST_F(e, events_visit_only_changed_containers)
{
	enum { N = 100 };
	char line[128] = "", *ev;
	int wasted;
	pid_t child;

	ASSERT_EQ(0, install_agent("echo \"$1\" >> " AGENT_OUT "\n"));
	ASSERT_EQ(0, ct_write(P("release_agent"), AGENT));
	for (int i = 0; i < N; i++)
		ASSERT_EQ(0, ct_mkdir(P("c%d", i)));
	ASSERT_EQ(0, ct_mkdir(P("c0/d")));
	ASSERT_EQ(0, ct_write(P("c0/d/notify_on_release"), "1"));
	ASSERT_EQ(0, ct_write(P("debug.lock_scan"), "0"));
	child = ct_spawn_sleeper();
	ASSERT_GT(child, 0);
	ASSERT_EQ(0, ct_write_id(P("c0/d/tasks"), child));
	ct_reap(child);
	EXPECT_TRUE(wait_for(AGENT_OUT, "/c0/d\n"));
	ASSERT_LT(0, ct_read(P("debug.lock_scan"), line, sizeof(line)));
	ev = strstr(line, "events ");
	ASSERT_NE(NULL, ev) TH_LOG("debug.lock_scan: %s", line);
	wasted = atoi(ev + strlen("events "));
	TH_LOG("%d containers visited without an event in one run, of %d", wasted, N + 2);
	EXPECT_GE(4, wasted);
	/* The counts start over on a write of 0, and only then. */
	EXPECT_EQ(-EINVAL, ct_write(P("debug.lock_scan"), "1"));
	EXPECT_EQ(0, ct_write(P("debug.lock_scan"), "0"));
}

/*
 * Removing the last child queues an event for the root, which the events
 * work delivers to the root's container.events inode while the unmount that
 * follows at once evicts the superblock's inodes. Each cycle must work, and
 * no "Busy inodes after unmount" (a WARNING the splat check catches) or
 * use-after-free may follow.
 */
TEST_F_TIMEOUT(e, umount_while_events_are_delivered, CT_STRESS_TIMEOUT)
{
	double end = ct_now() + ct_stress_seconds(5);
	int i;

	/* For a bounded time, and at least 20 cycles. */
	for (i = 0; i < 20 || ct_now() < end; i++) {
		ASSERT_EQ(0, ct_mkdir(P("a")));
		ASSERT_EQ(0, ct_rmdir(P("a")));
		ASSERT_EQ(0, umount(self->root)) TH_LOG("cycle %d", i);
		ASSERT_EQ(0, ct_mount(self->root, "debug")) TH_LOG("cycle %d", i);
	}
	TH_LOG("%d cycles", i);
}

TEST_HARNESS_MAIN
