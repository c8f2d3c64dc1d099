// SPDX-License-Identifier: GPL-2.0
/*
 * Containers as directories: mkdir populates the control files, rmdir
 * refuses a container with children (EBUSY), rename stays within the
 * parent (EIO across parents), bad names are refused, regular files cannot
 * be created or removed, and the core flags are inherited and validated.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "container_util.h"

FIXTURE(d) {
	char root[64];
	char p[512], q[512];
};

FIXTURE_SETUP(d)
{
	CT_REQUIRE_MODULE();
	strcpy(self->root, ct_tmpdir());
	ASSERT_EQ(0, ct_mount(self->root, "debug"));
}

FIXTURE_TEARDOWN(d)
{
	ct_cleanup(self->root);
}

#define P(fmt, ...) (snprintf(self->p, sizeof(self->p), "%s/" fmt, self->root, ##__VA_ARGS__), self->p)
#define Q(fmt, ...) (snprintf(self->q, sizeof(self->q), "%s/" fmt, self->root, ##__VA_ARGS__), self->q)

TEST_F(d, mkdir_populates_files)
{
	static const char *const files[] = {
		"tasks", "container.procs", "notify_on_release",
		"container.clone_children", "container.events", "debug.taskcount",
		"debug.refcount",
	};
	unsigned int i;

	ASSERT_EQ(0, ct_mkdir(P("a")));
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		EXPECT_TRUE(ct_exists(Q("a/%s", files[i])));
	/* release_agent only exists in the root. */
	EXPECT_TRUE(ct_exists(P("release_agent")));
	EXPECT_FALSE(ct_exists(P("a/release_agent")));
	ASSERT_EQ(0, ct_mkdir(P("a/b")));
	EXPECT_TRUE(ct_exists(P("a/b/tasks")));
}

TEST_F(d, rmdir_busy_with_children)
{
	ASSERT_EQ(0, ct_mkdir(P("a")));
	ASSERT_EQ(0, ct_mkdir(P("a/b")));
	EXPECT_EQ(-EBUSY, ct_rmdir(P("a")));
	EXPECT_TRUE(ct_exists(P("a/tasks")));
	ASSERT_EQ(0, ct_rmdir(P("a/b")));
	ASSERT_EQ(0, ct_rmdir(P("a")));
	EXPECT_FALSE(ct_exists(P("a")));
}

TEST_F(d, bad_names)
{
	EXPECT_EQ(-EINVAL, ct_mkdir(P("bad\nname")));
	EXPECT_EQ(-EEXIST, ct_mkdir(P("tasks")));
	EXPECT_EQ(-EEXIST, ct_mkdir(P("debug.taskcount")));
	ASSERT_EQ(0, ct_mkdir(P("a")));
	EXPECT_EQ(-EEXIST, ct_mkdir(P("a")));
	EXPECT_EQ(-ENOTDIR, ct_rmdir(P("tasks")));
}

TEST_F(d, rename_rules)
{
	ASSERT_EQ(0, ct_mkdir(P("a")));
	ASSERT_EQ(0, ct_mkdir(P("b")));
	ASSERT_EQ(0, ct_mkdir(P("a/c")));
	/* Within the parent: allowed, files follow. */
	ASSERT_EQ(0, rename(P("a/c"), Q("a/d")));
	EXPECT_TRUE(ct_exists(P("a/d/tasks")));
	EXPECT_FALSE(ct_exists(P("a/c")));
	/* Across parents: EIO, never EXDEV. */
	EXPECT_EQ(-1, rename(P("a/d"), Q("b/d")));
	EXPECT_EQ(EIO, errno);
	/* Onto an existing container: EEXIST. */
	EXPECT_EQ(-1, rename(P("a"), Q("b")));
	EXPECT_EQ(EEXIST, errno);
	/* Onto a control file: the VFS refuses a directory over a file. */
	EXPECT_EQ(-1, rename(P("a"), Q("tasks")));
	EXPECT_EQ(ENOTDIR, errno);
	/* A control file is not a container. */
	EXPECT_EQ(-1, rename(P("a/tasks"), Q("a/x")));
	EXPECT_EQ(ENOTDIR, errno);
	/* A newline in the new name. */
	EXPECT_EQ(-1, rename(P("a"), Q("a\nb")));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(ct_exists(P("a/d")));
}

TEST_F(d, no_regular_files)
{
	int fd;

	fd = open(P("newfile"), O_CREAT | O_WRONLY, 0644);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, unlink(P("tasks")));
	EXPECT_EQ(EPERM, errno);
	EXPECT_TRUE(ct_exists(P("tasks")));
}

TEST_F(d, flags_inherited_and_validated)
{
	char buf[64];

	ASSERT_EQ(0, ct_write(P("notify_on_release"), "1"));
	ASSERT_EQ(0, ct_write(P("container.clone_children"), "7\n"));
	ASSERT_EQ(0, ct_mkdir(P("a")));
	ASSERT_LT(0, ct_read(P("a/notify_on_release"), buf, sizeof(buf)));
	EXPECT_STREQ("1\n", buf);
	ASSERT_LT(0, ct_read(P("a/container.clone_children"), buf, sizeof(buf)));
	EXPECT_STREQ("1\n", buf);
	EXPECT_EQ(-EINVAL, ct_write(P("a/notify_on_release"), "yes"));
	EXPECT_EQ(-EINVAL, ct_write(P("a/notify_on_release"), ""));
	ASSERT_LT(0, ct_read(P("a/notify_on_release"), buf, sizeof(buf)));
	EXPECT_STREQ("1\n", buf);
	ASSERT_EQ(0, ct_write(P("a/notify_on_release"), "0"));
	ASSERT_LT(0, ct_read(P("a/notify_on_release"), buf, sizeof(buf)));
	EXPECT_STREQ("0\n", buf);
	/* The parent keeps its own value. */
	ASSERT_LT(0, ct_read(P("notify_on_release"), buf, sizeof(buf)));
	EXPECT_STREQ("1\n", buf);
}

TEST_F(d, release_agent_file)
{
	char buf[256];

	ASSERT_EQ(0, ct_write(P("release_agent"), "/sbin/agent\n"));
	ASSERT_LT(0, ct_read(P("release_agent"), buf, sizeof(buf)));
	EXPECT_STREQ("/sbin/agent\n", buf);
	ASSERT_EQ(0, ct_write(P("release_agent"), ""));
	ASSERT_LT(0, ct_read(P("release_agent"), buf, sizeof(buf)));
	EXPECT_STREQ("\n", buf);
}

TEST_F(d, root_tasks_lists_every_task)
{
	char buf[1 << 16], pid[32];

	ASSERT_LT(0, ct_read(P("tasks"), buf, sizeof(buf)));
	snprintf(pid, sizeof(pid), "\n%d\n", getpid());
	EXPECT_NE(NULL, strstr(buf, pid));
	EXPECT_EQ(0, strncmp(buf, "1\n", 2));
	ASSERT_EQ(0, ct_mkdir(P("a")));
	ASSERT_LE(0, ct_read(P("a/tasks"), buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
}

TEST_HARNESS_MAIN
