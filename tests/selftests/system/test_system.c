// SPDX-License-Identifier: GPL-2.0
/*
 * System views: /proc/containers (subsystems, their hierarchy and number
 * of containers) and /proc/container_membership (the 2007 patch's
 * /proc/<pid>/container: write a pid, read "<id>:<subsys>:<path>" lines).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "container_util.h"

FIXTURE(s) {
	char root[64], root2[64];
	char p[512];
};

FIXTURE_SETUP(s)
{
	CT_REQUIRE_MODULE();
	strcpy(self->root, ct_tmpdir());
	strcpy(self->root2, ct_tmpdir());
}

FIXTURE_TEARDOWN(s)
{
	ct_cleanup(self->root);
	ct_cleanup(self->root2);
}

#define P(fmt, ...) (snprintf(self->p, sizeof(self->p), "%s/" fmt, self->root, ##__VA_ARGS__), self->p)

/* The "<hierarchy>\t<count>" columns of SUBSYS in /proc/containers. */
static int subsys_line(const char *subsys, int *hid, int *count)
{
	char buf[4096], pat[64], *l;

	if (ct_read("/proc/containers", buf, sizeof(buf)) < 0)
		return -1;
	snprintf(pat, sizeof(pat), "\n%s\t", subsys);
	l = strstr(buf, pat);
	if (!l)
		return -1;
	return sscanf(l + strlen(pat), "%d\t%d\t1", hid, count) == 2 ? 0 : -1;
}

TEST_F(s, proc_containers_counts)
{
	char buf[4096];
	int hid, n;

	ASSERT_LT(0, ct_read("/proc/containers", buf, sizeof(buf)));
	EXPECT_EQ(0, strncmp(buf, "#subsys_name\thierarchy\tnum_containers\tenabled\n", 46));
	ASSERT_EQ(0, subsys_line("cpuset", &hid, &n));
	EXPECT_EQ(0, hid);
	ASSERT_EQ(0, ct_mount(self->root, "debug"));
	ASSERT_EQ(0, subsys_line("debug", &hid, &n));
	EXPECT_LT(0, hid);
	EXPECT_EQ(1, n);
	ASSERT_EQ(0, ct_mkdir(P("a")));
	ASSERT_EQ(0, ct_mkdir(P("a/b")));
	ASSERT_EQ(0, subsys_line("debug", &hid, &n));
	EXPECT_EQ(3, n);
	ASSERT_EQ(0, ct_rmdir(P("a/b")));
	ASSERT_EQ(0, subsys_line("debug", &hid, &n));
	EXPECT_EQ(2, n);
}

static ssize_t lookup(const char *pid, char *buf, size_t size)
{
	int fd = open("/proc/container_membership", O_RDWR);
	ssize_t n;

	if (fd < 0)
		return -errno;
	if (pid && write(fd, pid, strlen(pid)) < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return n;
}

TEST_F(s, membership_lookup)
{
	char buf[4096], want[256], pid[32];
	int hid, n, hid2;
	pid_t child;

	ASSERT_EQ(0, ct_mount(self->root, "debug"));
	ASSERT_EQ(0, ct_mount(self->root2, "none,name=csys"));
	ASSERT_EQ(0, subsys_line("debug", &hid, &n));
	ASSERT_EQ(0, ct_mkdir(P("a")));
	ASSERT_EQ(0, ct_mkdir(P("a/b")));
	ASSERT_EQ(0, ct_write(P("a/b/tasks"), "0"));
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	ASSERT_LT(0, child);
	snprintf(pid, sizeof(pid), "%d\n", child);
	ASSERT_LT(0, lookup(pid, buf, sizeof(buf)));
	snprintf(want, sizeof(want), "%d:debug:/a/b\n", hid);
	EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("got: %s", buf);
	EXPECT_NE(NULL, strstr(buf, ":name=csys:/\n")) TH_LOG("got: %s", buf);
	/* The named hierarchy has another id. */
	EXPECT_EQ(1, sscanf(strstr(buf, ":name=csys:") - 1, "%d", &hid2));
	EXPECT_NE(hid, hid2);
	/* Without a write: the reader itself. */
	ASSERT_LT(0, lookup(NULL, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, want));
	/* A rename shows up. */
	{
		char from[512], to[512];

		snprintf(from, sizeof(from), "%s/a/b", self->root);
		snprintf(to, sizeof(to), "%s/a/c", self->root);
		ASSERT_EQ(0, rename(from, to) ? -errno : 0);
	}
	ASSERT_LT(0, lookup(pid, buf, sizeof(buf)));
	snprintf(want, sizeof(want), "%d:debug:/a/c\n", hid);
	EXPECT_NE(NULL, strstr(buf, want)) TH_LOG("got: %s", buf);
	kill(child, 9);
	waitpid(child, NULL, 0);
	EXPECT_EQ(-EINVAL, lookup("abc", buf, sizeof(buf)));
	EXPECT_EQ(-ESRCH, lookup("4000000", buf, sizeof(buf)));
}

TEST_HARNESS_MAIN
