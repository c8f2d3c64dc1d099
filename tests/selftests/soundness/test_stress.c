// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: for a bounded time (ct_stress_seconds(); CONTAINER_SOAK makes it
 * long), concurrently: mkdir/rmdir in a tree, moves of tasks and whole
 * processes between containers of two hierarchies, fork and thread storms,
 * mount/umount cycles of more hierarchies, writes to the control files,
 * reads of tasks files (with pread from several threads on one
 * descriptor), and CPU hotplug where the guest allows it. Afterwards the
 * state must be consistent: every live task is in exactly one container of
 * each hierarchy, and every container's debug.taskcount agrees with its
 * tasks file. The splat check catches WARNs, lockdep reports, KASAN and
 * leaks (kmemleak) on the way.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "container_util.h"

static const char *const dirs[] = { ".", "a", "b", "a/c", "a/d", "b/e", "a/c/f" };
#define NDIRS (sizeof(dirs) / sizeof(dirs[0]))

FIXTURE(s) {
	char h1[64], h2[64], h3[64];
	char p[512];
	pid_t workers[16];
	int nworkers;
	bool cpu3_offlinable;
};

FIXTURE_SETUP(s)
{
	CT_REQUIRE_MODULE();
	strcpy(self->h1, ct_tmpdir());
	strcpy(self->h2, ct_tmpdir());
	ASSERT_EQ(0, ct_mount(self->h1, "cpuset,memset,debug"));
	ASSERT_EQ(0, ct_mount(self->h2, "net_flow"));
	/* The mount worker's mount point. */
	strcpy(self->h3, ct_tmpdir());
	/* Orphans of the workers (their forkers and victims) become ours, so
	 * the test can reap every task it made. */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	self->cpu3_offlinable = !access("/sys/devices/system/cpu/cpu3/online", W_OK);
}

/*
 * Kills every worker and every task they made, and reaps them all. Each
 * worker leads a process group of its own, which its children share; the
 * orphans (reparented to this subreaper) are killed by listing this task's
 * children again on every round, without ever blocking in waitpid(): a
 * task reparented after a listing is found by the next one.
 */
static void stop_workers(FIXTURE_DATA(s) *self)
{
	char p[64], pid[32];
	FILE *f;

	for (int i = 0; i < self->nworkers; i++) {
		kill(-self->workers[i], SIGKILL);
		kill(self->workers[i], SIGKILL);
	}
	self->nworkers = 0;
	for (;;) {
		snprintf(p, sizeof(p), "/proc/self/task/%d/children", gettid());
		f = fopen(p, "r");
		while (f && fscanf(f, "%31s", pid) == 1)
			kill(atoi(pid), SIGKILL);
		if (f)
			fclose(f);
		pid_t r = waitpid(-1, NULL, WNOHANG);

		if (r == 0)
			usleep(10000);
		else if (r < 0 && errno == ECHILD)
			break;
	}
}

FIXTURE_TEARDOWN(s)
{
	stop_workers(self);
	if (self->cpu3_offlinable)
		ct_write("/sys/devices/system/cpu/cpu3/online", "1");
	ct_cleanup(self->h1);
	ct_cleanup(self->h2);
	/* The mount worker's hierarchies, wherever it was killed. */
	ct_cleanup(self->h3);
	for (int i = 1; i <= 2; i++) {
		char opts[32];

		snprintf(opts, sizeof(opts), "none,name=stress%d", i);
		if (!ct_mount(self->h3, opts))
			ct_cleanup(self->h3);
	}
	rmdir(self->h3);
}

/* PATH of DIR in hierarchy H into BUF. */
static char *at(char *buf, size_t size, const char *h, const char *dir, const char *file)
{
	snprintf(buf, size, "%s/%s/%s", h, dir, file);
	return buf;
}

/* Starts FN(SELF, SEED) in a child process that runs until killed. */
static void start(FIXTURE_DATA(s) *self, void (*fn)(FIXTURE_DATA(s) *, unsigned int),
		  unsigned int seed)
{
	pid_t pid = fork();

	if (pid == 0) {
		/* Its own process group, which its children share. */
		setpgid(0, 0);
		/* The victims and forkers die with the worker that made them. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fn(self, seed);
		_exit(0);
	}
	if (pid > 0)
		self->workers[self->nworkers++] = pid;
}

static void tree_worker(FIXTURE_DATA(s) *self, unsigned int seed)
{
	char p[512];

	for (;;) {
		const char *d = dirs[1 + rand_r(&seed) % (NDIRS - 1)];
		const char *h = rand_r(&seed) % 2 ? self->h1 : self->h2;

		snprintf(p, sizeof(p), "%s/%s", h, d);
		if (rand_r(&seed) % 2)
			ct_mkdir(p);
		else
			ct_rmdir(p);
	}
}

/* Children that fork, exit and create threads, to be moved around. */
static void *short_thread(void *arg)
{
	usleep(1000);
	return arg;
}

static void forker(void)
{
	for (;;) {
		pthread_t th;
		pid_t c = fork();

		if (c == 0)
			_exit(0);
		if (c > 0)
			waitpid(c, NULL, 0);
		if (!pthread_create(&th, NULL, short_thread, NULL))
			pthread_join(th, NULL);
	}
}

static void mover_worker(FIXTURE_DATA(s) *self, unsigned int seed)
{
	pid_t victims[3];
	char p[512];

	for (int i = 0; i < 3; i++) {
		victims[i] = fork();
		if (victims[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			forker();
		}
	}
	for (;;) {
		const char *d = dirs[rand_r(&seed) % NDIRS];
		const char *h = rand_r(&seed) % 2 ? self->h1 : self->h2;
		const char *f = rand_r(&seed) % 2 ? "tasks" : "container.procs";

		ct_write_id(at(p, sizeof(p), h, d, f), victims[rand_r(&seed) % 3]);
	}
}

static void mount_worker(FIXTURE_DATA(s) *self, unsigned int seed)
{
	const char *dir = self->h3;
	char p[128];

	for (;;) {
		const char *opts = rand_r(&seed) % 2 ? "none,name=stress1" : "none,name=stress2";

		if (ct_mount(dir, opts))
			continue;
		snprintf(p, sizeof(p), "%s/x", dir);
		if (!ct_mkdir(p)) {
			ct_write(strcat(p, "/tasks"), "0");
			ct_write(at(p, sizeof(p), dir, ".", "tasks"), "0");
			ct_rmdir(at(p, sizeof(p), dir, "x", ""));
		}
		umount(dir);
	}
}

static void writer_worker(FIXTURE_DATA(s) *self, unsigned int seed)
{
	static const char *const cpus[] = { "0-3", "1-2", "3", "0", "", "2-3" };
	static const char *const mems[] = { "0-1", "0", "1" };
	static const char *const flags[] = { "notify_on_release", "container.clone_children",
					     "cpuset.cpu_exclusive", "memset.mem_exclusive" };
	char p[512];

	for (;;) {
		const char *d = dirs[1 + rand_r(&seed) % (NDIRS - 1)];

		switch (rand_r(&seed) % 4) {
		case 0:
			ct_write(at(p, sizeof(p), self->h1, d, "cpuset.cpus"),
				 cpus[rand_r(&seed) % ARRAY_SIZE(cpus)]);
			break;
		case 1:
			ct_write(at(p, sizeof(p), self->h1, d, "memset.mems"),
				 mems[rand_r(&seed) % ARRAY_SIZE(mems)]);
			break;
		case 2:
			ct_write(at(p, sizeof(p), self->h1, d, flags[rand_r(&seed) % ARRAY_SIZE(flags)]),
				 rand_r(&seed) % 2 ? "1" : "0");
			break;
		default:
			ct_write(at(p, sizeof(p), self->h2, d, "net_flow.classid"),
				 rand_r(&seed) % 2 ? "0x10010" : "0");
			break;
		}
	}
}

static int shared_fd;

static void *pread_thread(void *arg)
{
	char buf[8192];

	for (;;)
		if (pread(shared_fd, buf, sizeof(buf), 0) < 0 && errno != ENODEV)
			usleep(1000);
	return arg;
}

static void reader_worker(FIXTURE_DATA(s) *self, unsigned int seed)
{
	pthread_t th[3];
	char p[512], buf[8192];

	shared_fd = open(at(p, sizeof(p), self->h1, ".", "tasks"), O_RDONLY);
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, pread_thread, NULL);
	for (;;) {
		const char *d = dirs[rand_r(&seed) % NDIRS];

		ct_read(at(p, sizeof(p), rand_r(&seed) % 2 ? self->h1 : self->h2, d, "tasks"), buf,
			sizeof(buf));
		ct_read("/proc/containers", buf, sizeof(buf));
	}
}

static void hotplug_worker(FIXTURE_DATA(s) *self, unsigned int seed)
{
	for (;;) {
		ct_write("/sys/devices/system/cpu/cpu3/online", "0");
		usleep(rand_r(&seed) % 100000);
		ct_write("/sys/devices/system/cpu/cpu3/online", "1");
		usleep(rand_r(&seed) % 100000);
	}
}

/* Whether TID is a kernel thread (PF_KTHREAD in /proc/TID/stat). */
static bool is_kthread(long tid)
{
	char p[64], buf[1024], *s;
	unsigned long flags = 0;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%ld/stat", tid);
	f = fopen(p, "r");
	if (!f)
		return false;
	s = fgets(buf, sizeof(buf), f);
	fclose(f);
	/* After "pid (comm) ": state, ppid, pgrp, session, tty, tpgid, flags. */
	s = s ? strrchr(buf, ')') : NULL;
	if (!s || sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return false;
	return flags & 0x00200000;
}

/* Adds the tids listed in every tasks file below ROOT (recursively) to
 * COUNT (indexed by tid, up to MAXTID), and checks each container's
 * debug.taskcount when present, and that no container but the root lists
 * a kernel thread (none may be moved); returns the number of
 * disagreements. */
#define MAXTID 4194304
static int scan(struct __test_metadata *_metadata, const char *root, unsigned char *count,
		bool top)
{
	char p[1024], line[32];
	int bad = 0, lines = 0;
	struct dirent *e;
	FILE *f;
	DIR *d;

	snprintf(p, sizeof(p), "%s/tasks", root);
	f = fopen(p, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		long t = strtol(line, NULL, 10);

		if (t > 0 && t < MAXTID && count[t] < 255)
			count[t]++;
		if (!top && is_kthread(t)) {
			TH_LOG("%s lists kernel thread %ld", root, t);
			bad++;
		}
		lines++;
	}
	fclose(f);
	snprintf(p, sizeof(p), "%s/debug.taskcount", root);
	if (ct_exists(p) && ct_read_long(p) != lines) {
		TH_LOG("%s: debug.taskcount %ld, tasks lists %d", root, ct_read_long(p), lines);
		bad++;
	}
	d = opendir(root);
	if (!d)
		return bad;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", root, e->d_name);
		bad += scan(_metadata, p, count, false);
	}
	closedir(d);
	return bad;
}

/* Marks every live tid in LIVE. */
static void live_tids(unsigned char *live)
{
	char p[300];
	struct dirent *e, *t;
	DIR *d = opendir("/proc"), *td;

	memset(live, 0, MAXTID);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/task", e->d_name);
		td = opendir(p);
		while (td && (t = readdir(td))) {
			long tid = strtol(t->d_name, NULL, 10);

			if (tid > 0 && tid < MAXTID)
				live[tid] = 1;
		}
		if (td)
			closedir(td);
	}
	if (d)
		closedir(d);
}

/* Every task alive before and after the scan of hierarchy H is listed
 * exactly once there. */
static int check_hierarchy(struct __test_metadata *_metadata, const char *h)
{
	unsigned char *before = calloc(MAXTID, 1), *after = calloc(MAXTID, 1);
	unsigned char *count = calloc(MAXTID, 1);
	int bad, checked = 0;

	live_tids(before);
	bad = scan(_metadata, h, count, true);
	live_tids(after);
	for (long t = 1; t < MAXTID; t++) {
		if (!before[t] || !after[t])
			continue;
		checked++;
		if (count[t] != 1) {
			TH_LOG("%s: task %ld listed %d times", h, t, count[t]);
			bad++;
		}
	}
	TH_LOG("%s: %d live tasks checked", h, checked);
	free(before);
	free(after);
	free(count);
	return bad;
}

TEST_F_TIMEOUT(s, everything_at_once, CT_STRESS_TIMEOUT)
{
	double secs = ct_stress_seconds(8);
	unsigned int seed = ct_seed();

	start(self, tree_worker, seed + 1);
	start(self, mover_worker, seed + 2);
	start(self, mount_worker, seed + 3);
	start(self, writer_worker, seed + 4);
	start(self, reader_worker, seed + 5);
	if (self->cpu3_offlinable)
		start(self, hotplug_worker, seed + 6);
	usleep((useconds_t)(secs * 1e6));
	/* Every task the workers made is reaped: it has left its containers
	 * (the exit hook runs before a task can be reaped). */
	stop_workers(self);
	if (self->cpu3_offlinable)
		ASSERT_EQ(0, ct_write("/sys/devices/system/cpu/cpu3/online", "1"));
	EXPECT_EQ(0, check_hierarchy(_metadata, self->h1));
	EXPECT_EQ(0, check_hierarchy(_metadata, self->h2));
}

TEST_HARNESS_MAIN
