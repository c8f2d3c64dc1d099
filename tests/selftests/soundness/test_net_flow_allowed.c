// SPDX-License-Identifier: GPL-2.0
/*
 * net_flow delegation: an opener without CAP_NET_ADMIN may only give a
 * container a class id its parent allows: the parent's own class id, or
 * one listed in the parent's `net_flow.allowed` (owned by whoever owns the
 * parent, so a delegatee cannot widen its own list). Otherwise a delegated
 * user could put its tasks in any HTB class, the admin's high-priority ones
 * included, or set any socket priority (SO_PRIORITY > 6 needs
 * CAP_NET_ADMIN).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
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

FIXTURE(n) {
	char root[64];
	char p[512];
};

#define P(fmt, ...) (snprintf(self->p, sizeof(self->p), "%s/" fmt, self->root, ##__VA_ARGS__), self->p)

FIXTURE_SETUP(n)
{
	CT_REQUIRE_MODULE();
	strcpy(self->root, ct_tmpdir());
	if (ct_mount(self->root, "net_flow") == -EINVAL)
		SKIP(return, "no net_flow subsystem");
	/* The admin tags u with 1:10 and delegates it to nobody, who may
	 * create containers below it (and owns their files). */
	ASSERT_EQ(0, ct_mkdir(P("u")));
	ASSERT_EQ(0, ct_write(P("u/net_flow.classid"), "0x10010"));
	ASSERT_EQ(0, chown(P("u"), NOBODY, NOBODY));
	ASSERT_EQ(0, chown(P("u/tasks"), NOBODY, NOBODY));
	ASSERT_EQ(0, chown(P("u/container.procs"), NOBODY, NOBODY));
}

FIXTURE_TEARDOWN(n)
{
	ct_cleanup(self->root);
}

/* Runs BODY in a child that dropped to nobody; its exit status is 0 when
 * every step passed, else the number of the failed step. */
#define AS_NOBODY(...)							\
	do {								\
		int __status;						\
		pid_t __c = fork();					\
		ASSERT_LE(0, __c);					\
		if (__c == 0) {						\
			if (setgroups(0, NULL) || setgid(NOBODY) ||	\
			    setuid(NOBODY))				\
				_exit(100);				\
			__VA_ARGS__;					\
			_exit(0);					\
		}							\
		ASSERT_EQ(__c, waitpid(__c, &__status, 0));		\
		ASSERT_TRUE(WIFEXITED(__status));			\
		EXPECT_EQ(0, WEXITSTATUS(__status));			\
	} while (0)

#define STEP(n, cond) do { if (!(cond)) _exit(n); } while (0)

/* Without an allowed list, only the parent's own class id. */
TEST_F(n, child_limited_to_parent_classid)
{
	AS_NOBODY({
		STEP(1, ct_mkdir(P("u/x")) == 0);
		/* A new container inherits its parent's class. */
		STEP(2, ct_reads(P("u/x/net_flow.classid"), "65552"));
		STEP(3, ct_write(P("u/x/net_flow.classid"), "0x10020") == -EPERM);
		STEP(4, ct_write(P("u/x/net_flow.classid"), "0x7fffffff") == -EPERM);
		/* Untagged is a class too (the qdisc's default). */
		STEP(5, ct_write(P("u/x/net_flow.classid"), "0") == -EPERM);
		STEP(6, ct_reads(P("u/x/net_flow.classid"), "65552"));
		STEP(7, ct_write(P("u/x/net_flow.classid"), "65552") == 0);
		/* Its own container's class id is the admin's. */
		STEP(8, ct_write(P("u/net_flow.classid"), "0x10020") == -EACCES);
	});
	EXPECT_TRUE(ct_reads(P("u/x/net_flow.classid"), "65552"));
	/* CAP_NET_ADMIN may choose any class. */
	EXPECT_EQ(0, ct_write(P("u/x/net_flow.classid"), "0x10099"));
	EXPECT_TRUE(ct_reads(P("u/x/net_flow.classid"), "65689"));
}

/* The parent's list widens the choice; the parent's own id stays valid. */
TEST_F(n, allowed_list)
{
	ASSERT_TRUE(ct_reads(P("u/net_flow.allowed"), ""));
	ASSERT_EQ(0, ct_write(P("u/net_flow.allowed"), "0x10012 65553,0x10012\n"));
	EXPECT_TRUE(ct_reads(P("u/net_flow.allowed"), "65553 65554"));
	AS_NOBODY({
		STEP(1, ct_mkdir(P("u/x")) == 0);
		STEP(2, ct_write(P("u/x/net_flow.classid"), "0x10011") == 0);
		STEP(3, ct_reads(P("u/x/net_flow.classid"), "65553"));
		STEP(4, ct_write(P("u/x/net_flow.classid"), "0x10012") == 0);
		STEP(5, ct_write(P("u/x/net_flow.classid"), "0x10013") == -EPERM);
		STEP(6, ct_write(P("u/x/net_flow.classid"), "0x10010") == 0);
		STEP(7, ct_reads(P("u/x/net_flow.classid"), "65552"));
		/* nobody cannot widen its own container's list (root's file). */
		STEP(8, ct_write(P("u/net_flow.allowed"), "0x10099") == -EACCES);
	});
	/* Narrowing applies to later writes. */
	ASSERT_EQ(0, ct_write(P("u/net_flow.allowed"), "0x10011"));
	AS_NOBODY({
		STEP(1, ct_write(P("u/x/net_flow.classid"), "0x10012") == -EPERM);
		STEP(2, ct_write(P("u/x/net_flow.classid"), "0x10011") == 0);
	});
	/* An empty write empties the list. */
	ASSERT_EQ(0, ct_write(P("u/net_flow.allowed"), "\n"));
	EXPECT_TRUE(ct_reads(P("u/net_flow.allowed"), ""));
	AS_NOBODY(STEP(1, ct_write(P("u/x/net_flow.classid"), "0x10011") == -EPERM));
}

/* A delegatee's own lists are bounded by what it was allowed, so nesting
 * cannot widen the set. */
TEST_F(n, nested_lists_are_bounded)
{
	ASSERT_EQ(0, ct_write(P("u/net_flow.allowed"), "0x10011 0x10012"));
	AS_NOBODY({
		STEP(1, ct_mkdir(P("u/x")) == 0);
		STEP(2, ct_write(P("u/x/net_flow.allowed"), "0x10099") == -EPERM);
		STEP(3, ct_write(P("u/x/net_flow.allowed"), "0x10012 0x10099") == -EPERM);
		STEP(4, ct_reads(P("u/x/net_flow.allowed"), ""));
		STEP(5, ct_write(P("u/x/net_flow.allowed"), "0x10012 0x10010") == 0);
		STEP(6, ct_mkdir(P("u/x/y")) == 0);
		STEP(7, ct_write(P("u/x/y/net_flow.classid"), "0x10012") == 0);
		STEP(8, ct_write(P("u/x/y/net_flow.classid"), "0x10010") == 0);
		/* Not in x's list, though u allows it. */
		STEP(9, ct_write(P("u/x/y/net_flow.classid"), "0x10011") == -EPERM);
		/* x's own class id (1:10, inherited) is allowed below it. */
		STEP(10, ct_reads(P("u/x/net_flow.classid"), "65552"));
	});
}

/* The root has no parent to allow anything: its files need CAP_NET_ADMIN
 * even when their mode lets others open them. */
TEST_F(n, root_needs_net_admin)
{
	ASSERT_EQ(0, chmod(P("net_flow.classid"), 0666));
	ASSERT_EQ(0, chmod(P("net_flow.allowed"), 0666));
	AS_NOBODY({
		STEP(1, ct_write(P("net_flow.classid"), "0x10010") == -EPERM);
		STEP(2, ct_write(P("net_flow.allowed"), "0x10010") == -EPERM);
	});
	EXPECT_TRUE(ct_reads(P("net_flow.classid"), "0"));
	EXPECT_TRUE(ct_reads(P("net_flow.allowed"), ""));
}

/* The check is the opener's: root writing through nobody's fd is nobody. */
TEST_F(n, judged_by_opener)
{
	int sv[2], fd = -1, status;
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, byte = 'x';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	pid_t c;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	c = fork();
	ASSERT_LE(0, c);
	if (c == 0) {
		close(sv[0]);
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(1);
		if (ct_mkdir(P("u/x")))
			_exit(2);
		fd = open(P("u/x/net_flow.classid"), O_WRONLY);
		if (fd < 0)
			_exit(3);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		_exit(sendmsg(sv[1], &msg, 0) == 1 ? 0 : 4);
	}
	close(sv[1]);
	ASSERT_EQ(1, recvmsg(sv[0], &msg, 0));
	cm = CMSG_FIRSTHDR(&msg);
	ASSERT_NE(NULL, cm);
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	ASSERT_EQ(c, waitpid(c, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(-1, write(fd, "0x10099", 7));
	EXPECT_EQ(EPERM, errno);
	EXPECT_TRUE(ct_reads(P("u/x/net_flow.classid"), "65552"));
	close(fd);
	close(sv[0]);
}

/* Bad lists change nothing. */
TEST_F(n, allowed_errors)
{
	char many[1024] = "";
	int i;

	ASSERT_EQ(0, ct_write(P("u/net_flow.allowed"), "0x10011"));
	EXPECT_EQ(-EINVAL, ct_write(P("u/net_flow.allowed"), "0x10012 garbage"));
	EXPECT_EQ(-EINVAL, ct_write(P("u/net_flow.allowed"), "1:10"));
	EXPECT_EQ(-EINVAL, ct_write(P("u/net_flow.allowed"), "-1"));
	EXPECT_EQ(-EINVAL, ct_write(P("u/net_flow.allowed"), "0x100000000"));
	for (i = 0; i < 33; i++)
		sprintf(many + strlen(many), "%d ", 0x10000 + i);
	EXPECT_EQ(-E2BIG, ct_write(P("u/net_flow.allowed"), many));
	EXPECT_TRUE(ct_reads(P("u/net_flow.allowed"), "65553"));
}

TEST_HARNESS_MAIN
