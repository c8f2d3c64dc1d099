// SPDX-License-Identifier: GPL-2.0
/*
 * Per-open state of the module's files under concurrency: every file
 * operation may run at the same time as any other on one open file.
 * pread(2), preadv2(2) and pwrite(2) take no f_pos_lock, so several threads
 * sharing one descriptor may all read at offset 0 (which rebuilds the
 * file's snapshot) while others read further on, write, or poll.
 *
 * Each test shares ONE descriptor between several threads for a few
 * seconds and asserts that every read returns exactly the file's contents
 * (or its tail, at a non-zero offset). A broken module frees a snapshot
 * twice or while another thread copies from it: KASAN reports it in the
 * kernel log, and the copied bytes may be garbage.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "container_util.h"

/* How long each test hammers its descriptor. */
#define RUN_SECONDS 3
#define READERS 4
#define SLEEPERS 4
#define MAX_CONTENT 4096

/* A shared descriptor and what reading it may return. */
struct shared {
	int fd;
	/* Acceptable contents (e.g. "populated 0\n" and "populated 1\n"). */
	char want[2][MAX_CONTENT];
	size_t want_len[2];
	int nr_want;
	struct timespec end;
	atomic_long reads, bad, errors;
	/* First bad read, for the report. */
	pthread_mutex_t report_lock;
	char bad_buf[MAX_CONTENT + 1];
	ssize_t bad_n;
	off_t bad_off;
	int bad_errno;
	/* For the writer/toggler/poller threads. */
	const char *path_a, *path_b;
	pid_t pid;
	atomic_long polls, poll_bad, writes, write_bad;
};

static bool before_end(const struct shared *s)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec < s->end.tv_sec ||
	       (now.tv_sec == s->end.tv_sec && now.tv_nsec < s->end.tv_nsec);
}

/* True if BUF[0..N) is what a read at OFF may return. */
static bool acceptable(const struct shared *s, const char *buf, ssize_t n, off_t off)
{
	int i;

	for (i = 0; i < s->nr_want; i++) {
		size_t len = s->want_len[i];

		if ((size_t)off <= len && (size_t)n == len - off &&
		    !memcmp(buf, s->want[i] + off, n))
			return true;
	}
	return false;
}

static void record_bad(struct shared *s, const char *buf, ssize_t n, off_t off, int err)
{
	atomic_fetch_add(&s->bad, 1);
	pthread_mutex_lock(&s->report_lock);
	if (!s->bad_n && !s->bad_errno) {
		s->bad_n = n;
		s->bad_off = off;
		s->bad_errno = err;
		if (n > 0)
			memcpy(s->bad_buf, buf, n);
	}
	pthread_mutex_unlock(&s->report_lock);
}

/* Reads the shared descriptor at offset 0 (pread, two-segment preadv2)
 * and further on, checking every result. */
static void *reader(void *arg)
{
	struct shared *s = arg;
	char buf[MAX_CONTENT];
	unsigned int i = (unsigned int)(uintptr_t)&buf; /* per-thread start */

	while (before_end(s)) {
		off_t off = 0;
		ssize_t n;

		i++;
		switch (i % 4) {
		case 0:
		case 1:
			n = pread(s->fd, buf, sizeof(buf), 0);
			break;
		case 2: {
			struct iovec iov[2] = {
				{ .iov_base = buf, .iov_len = 3 },
				{ .iov_base = buf + 3, .iov_len = sizeof(buf) - 3 },
			};

			n = preadv2(s->fd, iov, 2, 0, 0);
			break;
		}
		default:
			/* A later part: served from the current snapshot. */
			off = 1 + i % (s->want_len[0] - 1);
			n = pread(s->fd, buf, sizeof(buf), off);
			break;
		}
		atomic_fetch_add(&s->reads, 1);
		if (n < 0) {
			atomic_fetch_add(&s->errors, 1);
			record_bad(s, buf, 0, off, errno);
		} else if (!acceptable(s, buf, n, off)) {
			record_bad(s, buf, n, off, 0);
		}
	}
	return NULL;
}

static void start(struct shared *s)
{
	clock_gettime(CLOCK_MONOTONIC, &s->end);
	s->end.tv_sec += RUN_SECONDS;
}

/* Reads PATH through a fresh descriptor: the reference contents. */
static ssize_t reference(const char *path, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + total, size - total)) > 0)
		total += n;
	close(fd);
	return n < 0 ? -errno : total;
}

static void init_shared(struct shared *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	pthread_mutex_init(&s->report_lock, NULL);
}

/* Runs READERS readers and EXTRA (may be NULL) on S until the end. */
static void hammer(struct __test_metadata *_metadata, struct shared *s,
		   void *(*extra)(void *))
{
	pthread_t th[READERS + 1];
	int i, n = 0;

	start(s);
	for (i = 0; i < READERS; i++)
		ASSERT_EQ(0, pthread_create(&th[n++], NULL, reader, s));
	if (extra)
		ASSERT_EQ(0, pthread_create(&th[n++], NULL, extra, s));
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	if (atomic_load(&s->bad)) {
		s->bad_buf[s->bad_n > 0 ? s->bad_n : 0] = 0;
		TH_LOG("%ld of %ld reads wrong (%ld errors); first: off %lld n %zd errno %d: \"%s\"",
		       atomic_load(&s->bad), atomic_load(&s->reads),
		       atomic_load(&s->errors), (long long)s->bad_off, s->bad_n,
		       s->bad_errno, s->bad_buf);
	}
	EXPECT_LT(0, atomic_load(&s->reads));
	EXPECT_EQ(0, atomic_load(&s->bad));
}

FIXTURE(of) {
	char root[64];
	char p[512], q[512];
	pid_t sleepers[SLEEPERS];
	struct shared s;
};

FIXTURE_SETUP(of)
{
	int i;

	memset(self->sleepers, 0, sizeof(self->sleepers));
	init_shared(&self->s);
	CT_REQUIRE_MODULE();
	strcpy(self->root, ct_tmpdir());
	ASSERT_EQ(0, ct_mount(self->root, "debug"));
	snprintf(self->p, sizeof(self->p), "%s/a", self->root);
	ASSERT_EQ(0, ct_mkdir(self->p));
	snprintf(self->p, sizeof(self->p), "%s/a/tasks", self->root);
	for (i = 0; i < SLEEPERS; i++) {
		self->sleepers[i] = ct_spawn_sleeper();
		ASSERT_LT(0, self->sleepers[i]);
		ASSERT_EQ(0, ct_write_id(self->p, self->sleepers[i]));
	}
}

FIXTURE_TEARDOWN(of)
{
	int i;

	if (self->s.fd >= 0)
		close(self->s.fd);
	for (i = 0; i < SLEEPERS; i++)
		if (self->sleepers[i] > 0)
			ct_reap(self->sleepers[i]);
	ct_cleanup(self->root);
}

#define P(fmt, ...) (snprintf(self->p, sizeof(self->p), "%s/" fmt, self->root, ##__VA_ARGS__), self->p)

/* Sets up S to share one descriptor of PATH, whose contents must not
 * change while the test runs. */
static void share_stable(struct __test_metadata *_metadata, struct shared *s,
			 const char *path, int flags)
{
	ssize_t n = reference(path, s->want[0], sizeof(s->want[0]));

	ASSERT_LT(1, n);
	s->want_len[0] = n;
	s->nr_want = 1;
	s->fd = open(path, flags);
	ASSERT_LE(0, s->fd);
}

/* /proc/containers (0444, there as soon as the module is loaded). */
TEST_F_TIMEOUT(of, proc_containers_shared_fd, 300)
{
	share_stable(_metadata, &self->s, "/proc/containers", O_RDONLY);
	ASSERT_EQ(0, strncmp(self->s.want[0], "#subsys_name\t", 13));
	hammer(_metadata, &self->s, NULL);
}

/* A `tasks` file listing several tasks. */
TEST_F_TIMEOUT(of, tasks_shared_fd, 300)
{
	char pid[16];
	int i;

	share_stable(_metadata, &self->s, P("a/tasks"), O_RDONLY);
	for (i = 0; i < SLEEPERS; i++) {
		snprintf(pid, sizeof(pid), "%d\n", self->sleepers[i]);
		ASSERT_NE(NULL, strstr(self->s.want[0], pid));
	}
	hammer(_metadata, &self->s, NULL);
}

/* Writes to `tasks` through the shared descriptor while it is read: the
 * write is one command and leaves the readers' snapshots alone. */
static void *tasks_writer(void *arg)
{
	struct shared *s = arg;
	char pid[16];
	int len = snprintf(pid, sizeof(pid), "%d", s->pid);

	while (before_end(s)) {
		atomic_fetch_add(&s->writes, 1);
		if (pwrite(s->fd, pid, len, 0) != len)
			atomic_fetch_add(&s->write_bad, 1);
	}
	return NULL;
}

TEST_F_TIMEOUT(of, tasks_shared_fd_with_writer, 300)
{
	share_stable(_metadata, &self->s, P("a/tasks"), O_RDWR);
	/* Re-adding a member changes nothing. */
	self->s.pid = self->sleepers[0];
	hammer(_metadata, &self->s, tasks_writer);
	EXPECT_LT(0, atomic_load(&self->s.writes));
	EXPECT_EQ(0, atomic_load(&self->s.write_bad));
}

/* Polls the shared descriptor: always readable, never an error. */
static void *poller(void *arg)
{
	struct shared *s = arg;
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN | POLLPRI };

	while (before_end(s)) {
		int r = poll(&pfd, 1, 1);

		atomic_fetch_add(&s->polls, 1);
		if (r != 1 || !(pfd.revents & POLLIN) || (pfd.revents & POLLNVAL))
			atomic_fetch_add(&s->poll_bad, 1);
	}
	return NULL;
}

/* Moves s->pid between path_a and path_b (changing `populated`) and polls
 * the shared descriptor meanwhile. */
static void *toggler_poller(void *arg)
{
	struct shared *s = arg;
	pthread_t p;
	bool in_a = true;

	if (pthread_create(&p, NULL, poller, s))
		return NULL;
	while (before_end(s)) {
		in_a = !in_a;
		atomic_fetch_add(&s->writes, 1);
		if (ct_write_id(in_a ? s->path_a : s->path_b, s->pid))
			atomic_fetch_add(&s->write_bad, 1);
		usleep(1000);
	}
	pthread_join(p, NULL);
	return NULL;
}

/* `container.events` while its `populated` state changes and another
 * thread polls the same descriptor. */
TEST_F_TIMEOUT(of, events_shared_fd_with_poll, 300)
{
	char path_a[512], path_b[512];
	struct shared *s = &self->s;
	int i;

	/* Only sleeper 0 stays in a/: moving it toggles `populated`. */
	for (i = 1; i < SLEEPERS; i++)
		ASSERT_EQ(0, ct_write_id(P("tasks"), self->sleepers[i]));
	strcpy(s->want[0], "populated 0\n");
	strcpy(s->want[1], "populated 1\n");
	s->want_len[0] = s->want_len[1] = strlen(s->want[0]);
	s->nr_want = 2;
	s->fd = open(P("a/container.events"), O_RDONLY);
	ASSERT_LE(0, s->fd);
	snprintf(path_a, sizeof(path_a), "%s/a/tasks", self->root);
	snprintf(path_b, sizeof(path_b), "%s/tasks", self->root);
	s->path_a = path_a;
	s->path_b = path_b;
	s->pid = self->sleepers[0];
	hammer(_metadata, s, toggler_poller);
	EXPECT_LT(0, atomic_load(&s->writes));
	EXPECT_EQ(0, atomic_load(&s->write_bad));
	EXPECT_LT(0, atomic_load(&s->polls));
	EXPECT_EQ(0, atomic_load(&s->poll_bad));
}

/* Asks /proc/container_membership about this process through the shared
 * descriptor while it is read: each answer replaces the snapshot. */
static void *membership_writer(void *arg)
{
	struct shared *s = arg;
	char pid[16];
	int len = snprintf(pid, sizeof(pid), "%d", s->pid);

	while (before_end(s)) {
		atomic_fetch_add(&s->writes, 1);
		if (pwrite(s->fd, pid, len, 0) != len)
			atomic_fetch_add(&s->write_bad, 1);
	}
	return NULL;
}

TEST_F_TIMEOUT(of, proc_membership_shared_fd, 300)
{
	/* The reader's own membership equals this process's (every thread
	 * is in the root containers). */
	share_stable(_metadata, &self->s, "/proc/container_membership", O_RDWR);
	ASSERT_NE(NULL, strstr(self->s.want[0], ":/\n"));
	self->s.pid = getpid();
	hammer(_metadata, &self->s, membership_writer);
	EXPECT_LT(0, atomic_load(&self->s.writes));
	EXPECT_EQ(0, atomic_load(&self->s.write_bad));
}

TEST_HARNESS_MAIN
