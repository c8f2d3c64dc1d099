// SPDX-License-Identifier: GPL-2.0
/*
 * Hierarchies: mount options, reuse of a hierarchy by identical options,
 * EBUSY for a subsystem bound elsewhere, EINVAL for bad options, and a
 * hierarchy outliving its umount while it has children.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "container_util.h"

FIXTURE(h) {
	char a[64], b[64];
};

FIXTURE_SETUP(h)
{
	CT_REQUIRE_MODULE();
	strcpy(self->a, ct_tmpdir());
	strcpy(self->b, ct_tmpdir());
}

FIXTURE_TEARDOWN(h)
{
	ct_cleanup(self->a);
	ct_cleanup(self->b);
}

static void path(char *buf, const char *dir, const char *name)
{
	sprintf(buf, "%s/%s", dir, name);
}

TEST_F(h, default_binds_all_subsystems)
{
	char line[4096], p[256];

	ASSERT_EQ(0, ct_mount(self->a, NULL));
	ASSERT_EQ(0, ct_mount_line(self->a, line, sizeof(line)));
	EXPECT_NE(NULL, strstr(line, ",cpuset,memset,net_flow,debug"));
	path(p, self->a, "debug.taskcount");
	EXPECT_TRUE(ct_exists(p));
}

TEST_F(h, identical_options_share_the_tree)
{
	char p[256];
	struct stat sa, sb;

	ASSERT_EQ(0, ct_mount(self->a, "debug"));
	ASSERT_EQ(0, ct_mount(self->b, "debug"));
	ASSERT_EQ(0, stat(self->a, &sa));
	ASSERT_EQ(0, stat(self->b, &sb));
	EXPECT_EQ(sa.st_dev, sb.st_dev);
	path(p, self->a, "shared");
	ASSERT_EQ(0, ct_mkdir(p));
	path(p, self->b, "shared/tasks");
	EXPECT_TRUE(ct_exists(p));
}

TEST_F(h, subsystem_bound_elsewhere_is_busy)
{
	ASSERT_EQ(0, ct_mount(self->a, "debug,net_flow"));
	EXPECT_EQ(-EBUSY, ct_mount(self->b, "debug"));
	EXPECT_EQ(-EBUSY, ct_mount(self->b, "net_flow,memset"));
	EXPECT_EQ(-EBUSY, ct_mount(self->b, NULL));
	EXPECT_EQ(0, ct_mount(self->b, "memset"));
}

TEST_F(h, bad_options_are_invalid)
{
	EXPECT_EQ(-EINVAL, ct_mount(self->a, "bogus"));
	EXPECT_EQ(-EINVAL, ct_mount(self->a, "all,debug"));
	EXPECT_EQ(-EINVAL, ct_mount(self->a, "none"));
	EXPECT_EQ(-EINVAL, ct_mount(self->a, "none,debug,name=x"));
	EXPECT_EQ(-EINVAL, ct_mount(self->a, "name=bad/name"));
	EXPECT_EQ(-EINVAL, ct_mount(self->a, "debug=1"));
	EXPECT_EQ(-EINVAL, ct_mount(self->a, "name=a,name=b"));
	EXPECT_EQ(-EINVAL, ct_mount(self->a, "release_agent="));
	/* Nothing was mounted or bound by the failures. */
	EXPECT_EQ(-ENOENT, ct_mount_line(self->a, (char[8]){0}, 8));
	EXPECT_EQ(0, ct_mount(self->a, "debug"));
}

TEST_F(h, named_empty_hierarchy)
{
	char line[4096], p[256];

	ASSERT_EQ(0, ct_mount(self->a, "none,name=ctest"));
	ASSERT_EQ(0, ct_mount_line(self->a, line, sizeof(line)));
	EXPECT_NE(NULL, strstr(line, "name=ctest"));
	EXPECT_EQ(NULL, strstr(line, "debug"));
	path(p, self->a, "tasks");
	EXPECT_TRUE(ct_exists(p));
	path(p, self->a, "debug.taskcount");
	EXPECT_FALSE(ct_exists(p));
	/* The same name with other subsystems is another hierarchy: busy. */
	EXPECT_EQ(-EBUSY, ct_mount(self->b, "debug,name=ctest"));
	EXPECT_EQ(0, ct_mount(self->b, "name=ctest,none"));
}

TEST_F(h, noprefix_drops_subsystem_prefix)
{
	char line[4096], p[256];

	ASSERT_EQ(0, ct_mount(self->a, "debug,noprefix"));
	ASSERT_EQ(0, ct_mount_line(self->a, line, sizeof(line)));
	EXPECT_NE(NULL, strstr(line, "noprefix"));
	path(p, self->a, "taskcount");
	EXPECT_TRUE(ct_exists(p));
	path(p, self->a, "debug.taskcount");
	EXPECT_FALSE(ct_exists(p));
}

TEST_F(h, release_agent_option)
{
	char line[4096], p[256], buf[256];

	ASSERT_EQ(0, ct_mount(self->a, "debug,release_agent=/bin/true"));
	ASSERT_EQ(0, ct_mount_line(self->a, line, sizeof(line)));
	EXPECT_NE(NULL, strstr(line, "release_agent=/bin/true"));
	path(p, self->a, "release_agent");
	ASSERT_LT(0, ct_read(p, buf, sizeof(buf)));
	EXPECT_STREQ("/bin/true\n", buf);
}

TEST_F(h, hierarchy_outlives_umount_with_children)
{
	char p[256];

	ASSERT_EQ(0, ct_mount(self->a, "debug"));
	path(p, self->a, "kept");
	ASSERT_EQ(0, ct_mkdir(p));
	ASSERT_EQ(0, umount(self->a));
	/* Still bound: another set with debug is busy. */
	EXPECT_EQ(-EBUSY, ct_mount(self->b, "debug,memset"));
	ASSERT_EQ(0, ct_mount(self->b, "debug"));
	path(p, self->b, "kept/tasks");
	EXPECT_TRUE(ct_exists(p));
	path(p, self->b, "kept");
	ASSERT_EQ(0, ct_rmdir(p));
	ASSERT_EQ(0, umount(self->b));
	/* Childless and unmounted: destroyed, so debug is free again. */
	EXPECT_EQ(0, ct_mount(self->a, "debug,memset"));
}

TEST_HARNESS_MAIN
