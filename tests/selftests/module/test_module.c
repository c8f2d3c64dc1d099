// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifecycle: the filesystem type is registered while loaded, mounts
 * pin the module, and it unloads cleanly (and can be loaded again) once
 * nothing is mounted.
 */
#include <errno.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "container_util.h"

FIXTURE(mnt) {
	const char *dir;
};

FIXTURE_SETUP(mnt)
{
	CT_REQUIRE_MODULE();
	self->dir = ct_tmpdir();
	ASSERT_NE(NULL, self->dir);
}

FIXTURE_TEARDOWN(mnt)
{
	umount(self->dir);
	rmdir(self->dir);
}

TEST_F(mnt, filesystem_registered)
{
	ASSERT_TRUE(ct_file_contains("/proc/filesystems", "nodev\tcontainer\n"));
}

TEST_F(mnt, mount_umount)
{
	struct statfs st;

	ASSERT_EQ(0, ct_mount(self->dir, NULL));
	ASSERT_EQ(0, statfs(self->dir, &st));
	EXPECT_EQ(CONTAINER_SUPER_MAGIC, st.f_type);
	EXPECT_TRUE(ct_file_contains("/proc/mounts", " container "));
	ASSERT_EQ(0, umount(self->dir));
	ASSERT_EQ(0, statfs(self->dir, &st));
	EXPECT_NE(CONTAINER_SUPER_MAGIC, st.f_type);
}

TEST_F(mnt, unload_refused_while_mounted)
{
	ASSERT_EQ(0, ct_mount(self->dir, NULL));
	EXPECT_EQ(-EWOULDBLOCK, ct_unload_module());
	EXPECT_TRUE(ct_fs_registered());
	ASSERT_EQ(0, umount(self->dir));
}

TEST_F(mnt, unload_and_reload)
{
	ASSERT_EQ(0, ct_unload_module());
	EXPECT_FALSE(ct_fs_registered());
	EXPECT_EQ(-ENODEV, ct_mount(self->dir, NULL));
	ASSERT_EQ(0, ct_load_module());
	EXPECT_TRUE(ct_fs_registered());
	ASSERT_EQ(0, ct_mount(self->dir, NULL));
	ASSERT_EQ(0, umount(self->dir));
}

/* The guest topology the cpuset and memset tests rely on (scripts/vm.sh):
 * 4 CPUs in 2 NUMA nodes. */
TEST(guest_topology)
{
	char buf[64];

	if (ct_read("/sys/devices/system/node/online", buf, sizeof(buf)) < 0)
		SKIP(return, "no NUMA in this kernel");
	EXPECT_STREQ("0-1\n", buf);
	ASSERT_LT(0, ct_read("/sys/devices/system/node/node1/cpulist", buf, sizeof(buf)));
	EXPECT_STREQ("2-3\n", buf);
	EXPECT_EQ(4, sysconf(_SC_NPROCESSORS_ONLN));
}

TEST_HARNESS_MAIN
