// SPDX-License-Identifier: GPL-2.0
/*
 * Opener credentials (the CVE-2021-4197 / CVE-2022-0492 class): a control
 * file write is judged with the credentials of whoever opened the file,
 * never with those of the task that happens to write to it. An fd opened by
 * an unprivileged user and handed to a privileged program (as stdout of a
 * setuid binary, over SCM_RIGHTS, ...) must not let that program move
 * other users' tasks or set the release agent on the user's behalf.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "container_util.h"

#define NOBODY 65534

enum { FD_TASKS, FD_PROCS, FD_AGENT, NR_FDS };

FIXTURE(o) {
	char root[64];
	char p[512];
	int sock;	/* the parent's end of the socketpair */
	pid_t child;	/* the unprivileged opener, alive until teardown */
	int fds[NR_FDS];
};

#define P(fmt, ...) (snprintf(self->p, sizeof(self->p), "%s/" fmt, self->root, ##__VA_ARGS__), self->p)

/* Sends N fds over SOCK with SCM_RIGHTS; 0 or -1. */
static int send_fds(int sock, const int *fds, int n)
{
	char cbuf[CMSG_SPACE(sizeof(int) * NR_FDS)] = { 0 };
	char byte = 'x';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = CMSG_SPACE(sizeof(int) * n),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

/* Receives N fds from SOCK into FDS; 0 or -1. */
static int recv_fds(int sock, int *fds, int n)
{
	char cbuf[CMSG_SPACE(sizeof(int) * NR_FDS)] = { 0 };
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int) * n))
		return -1;
	memcpy(fds, CMSG_DATA(cm), sizeof(int) * n);
	return 0;
}

/* One write(2) of STR to FD; 0 or -errno. */
static int fd_write(int fd, const char *str)
{
	ssize_t n = write(fd, str, strlen(str));

	if (n < 0)
		return -errno;
	return n == (ssize_t)strlen(str) ? 0 : -EIO;
}

static int fd_write_id(int fd, int id)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d\n", id);
	return fd_write(fd, buf);
}

/*
 * The unprivileged opener: drops to nobody, moves itself into a/ through
 * its own fd (the positive case: opener = writer = target's owner), then
 * opens a/tasks, a/container.procs and the root's release_agent for
 * writing, hands the fds to the root parent and waits until the parent
 * closes its end of the socket. Exit codes name the failed step.
 */
static void opener(const char *root, int sock)
{
	char path[512];
	int fds[NR_FDS];
	char byte;

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		_exit(10);
	snprintf(path, sizeof(path), "%s/a/tasks", root);
	fds[FD_TASKS] = open(path, O_WRONLY);
	if (fds[FD_TASKS] < 0)
		_exit(11);
	if (fd_write(fds[FD_TASKS], "0"))
		_exit(12);
	snprintf(path, sizeof(path), "%s/a/container.procs", root);
	fds[FD_PROCS] = open(path, O_WRONLY);
	if (fds[FD_PROCS] < 0)
		_exit(13);
	snprintf(path, sizeof(path), "%s/release_agent", root);
	fds[FD_AGENT] = open(path, O_WRONLY);
	if (fds[FD_AGENT] < 0)
		_exit(14);
	/* The unprivileged user itself may not set the release agent. */
	if (fd_write(fds[FD_AGENT], "/tmp/evil") != -EPERM)
		_exit(15);
	if (send_fds(sock, fds, NR_FDS))
		_exit(16);
	/* Stay alive (and in a/) until the parent is done. */
	while (read(sock, &byte, 1) > 0)
		;
	_exit(0);
}

FIXTURE_SETUP(o)
{
	int sv[2];
	int i;

	self->child = -1;
	self->sock = -1;
	for (i = 0; i < NR_FDS; i++)
		self->fds[i] = -1;
	CT_REQUIRE_MODULE();
	strcpy(self->root, ct_tmpdir());
	ASSERT_EQ(0, ct_mount(self->root, "debug"));
	ASSERT_EQ(0, ct_mkdir(P("a")));
	ASSERT_EQ(0, ct_mkdir(P("b")));
	ASSERT_EQ(0, ct_write(P("release_agent"), "/sbin/orig"));
	/* Delegation: a/ 's task files belong to nobody. The root-only
	 * release_agent is opened up too, so that the open succeeds and only
	 * the write is judged. */
	ASSERT_EQ(0, chown(P("a/tasks"), NOBODY, NOBODY));
	ASSERT_EQ(0, chown(P("a/container.procs"), NOBODY, NOBODY));
	ASSERT_EQ(0, chmod(P("release_agent"), 0666));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	self->child = fork();
	ASSERT_LE(0, self->child);
	if (self->child == 0) {
		close(sv[0]);
		opener(self->root, sv[1]);
	}
	close(sv[1]);
	self->sock = sv[0];
	ASSERT_EQ(0, recv_fds(self->sock, self->fds, NR_FDS)) {
		int status = 0;

		waitpid(self->child, &status, 0);
		TH_LOG("opener failed: exit status %d", WEXITSTATUS(status));
		self->child = -1;
	}
	/* The opener moved itself into a/. */
	ASSERT_EQ(1, ct_count_id(P("a/tasks"), self->child));
}

FIXTURE_TEARDOWN(o)
{
	int status, i;

	for (i = 0; i < NR_FDS; i++)
		if (self->fds[i] >= 0)
			close(self->fds[i]);
	if (self->sock >= 0)
		close(self->sock);
	if (self->child > 0) {
		/* The opener exits once it sees EOF on its socket. */
		EXPECT_EQ(self->child, waitpid(self->child, &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status));
	}
	/* Should a test have moved init, put it back so that the hierarchy
	 * can go away (a no-op otherwise). */
	ct_write_id(P("tasks"), 1);
	ct_cleanup(self->root);
}

/* Root writing pid 1 through nobody's tasks fd: EACCES, init stays. */
TEST_F(o, root_writer_cannot_move_init)
{
	EXPECT_EQ(-EACCES, fd_write(self->fds[FD_TASKS], "1"));
	EXPECT_EQ(-EACCES, fd_write(self->fds[FD_PROCS], "1"));
	EXPECT_EQ(0, ct_count_id(P("a/tasks"), 1));
	EXPECT_EQ(1, ct_count_id(P("tasks"), 1));
}

/* Nor another root-owned task, nor the writer itself ("0"). */
TEST_F(o, root_writer_cannot_move_root_tasks)
{
	pid_t sleeper = ct_spawn_sleeper();

	ASSERT_LT(0, sleeper);
	EXPECT_EQ(-EACCES, fd_write_id(self->fds[FD_TASKS], sleeper));
	EXPECT_EQ(-EACCES, fd_write_id(self->fds[FD_PROCS], sleeper));
	EXPECT_EQ(-EACCES, fd_write(self->fds[FD_TASKS], "0"));
	EXPECT_EQ(-EACCES, fd_write_id(self->fds[FD_PROCS], getpid()));
	EXPECT_EQ(0, ct_count_id(P("a/tasks"), sleeper));
	EXPECT_EQ(0, ct_count_id(P("a/tasks"), getpid()));
	EXPECT_EQ(1, ct_count_id(P("tasks"), sleeper));
	ct_reap(sleeper);
}

/* Root writing through nobody's release_agent fd: EPERM, value kept. */
TEST_F(o, root_writer_cannot_set_release_agent)
{
	EXPECT_EQ(-EPERM, fd_write(self->fds[FD_AGENT], "/tmp/evil"));
	EXPECT_TRUE(ct_reads(P("release_agent"), "/sbin/orig"));
	/* Root's own open still works. */
	EXPECT_EQ(0, ct_write(P("release_agent"), "/sbin/new"));
	EXPECT_TRUE(ct_reads(P("release_agent"), "/sbin/new"));
}

/* What the opener may do, anyone writing through its fd may do: nobody's
 * own task moves, whoever writes the pid. */
TEST_F(o, opener_own_task_moves)
{
	EXPECT_EQ(0, fd_write_id(self->fds[FD_TASKS], self->child));
	EXPECT_EQ(1, ct_count_id(P("a/tasks"), self->child));
	ASSERT_EQ(0, ct_write_id(P("b/tasks"), self->child));
	EXPECT_EQ(1, ct_count_id(P("b/tasks"), self->child));
	EXPECT_EQ(0, fd_write_id(self->fds[FD_PROCS], self->child));
	EXPECT_EQ(1, ct_count_id(P("a/tasks"), self->child));
	EXPECT_EQ(0, ct_count_id(P("b/tasks"), self->child));
}

/*
 * The converse: an fd root opened carries root's authority, as in cgroup
 * v1 (the fd is the capability). An unprivileged writer handed root's
 * b/tasks fd may move a root-owned task with it.
 */
TEST_F(o, fd_carries_opener_authority)
{
	pid_t sleeper = ct_spawn_sleeper(), writer;
	int fd, status;

	ASSERT_LT(0, sleeper);
	fd = open(P("b/tasks"), O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	writer = fork();
	ASSERT_LE(0, writer);
	if (writer == 0) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(10);
		/* Its own open of root's 0644 file is refused... */
		if (open(P("b/tasks"), O_WRONLY) >= 0 || errno != EACCES)
			_exit(11);
		/* ...but root's fd works. */
		_exit(fd_write_id(fd, sleeper) ? 12 : 0);
	}
	ASSERT_EQ(writer, waitpid(writer, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(1, ct_count_id(P("b/tasks"), sleeper));
	close(fd);
	ct_reap(sleeper);
}

TEST_HARNESS_MAIN
