// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the container kselftests. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container_util.h"

bool ct_fs_registered(void)
{
	return ct_file_contains("/proc/filesystems", "\tcontainer\n");
}

int ct_load_module(void)
{
	const char *ko = getenv("CONTAINER_KO");
	int fd, ret;

	if (ct_fs_registered())
		return 0;
	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

int ct_unload_module(void)
{
	return syscall(SYS_delete_module, "container", O_NONBLOCK) ? -errno : 0;
}

const char *ct_tmpdir(void)
{
	static char path[64];

	strcpy(path, "/tmp/ct.XXXXXX");
	return mkdtemp(path);
}

/* Prints each line of PATH containing PAT (every line if PAT is NULL) as
 * a TAP comment. */
static void show_lines(const char *path, const char *pat)
{
	char line[512];
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f))
		if (!pat || strstr(line, pat))
			printf("#   %s%s", line, strchr(line, '\n') ? "" : "\n");
	if (f)
		fclose(f);
}

int ct_mount(const char *dir, const char *opts)
{
	int err;

	if (!mount("none", dir, "container", 0, opts))
		return 0;
	err = errno;
	if (err == EBUSY) {
		/* Some tests expect EBUSY; when one does not, this shows which
		 * hierarchy holds the subsystems, and where it is mounted. */
		printf("# mount -o %s: EBUSY; container mounts and /proc/containers:\n",
		       opts ? opts : "");
		show_lines("/proc/self/mounts", " container ");
		show_lines("/proc/containers", NULL);
		fflush(stdout);
	}
	return -err;
}

int ct_write(const char *path, const char *str)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int ret = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, str, strlen(str));
	if (n < 0)
		ret = -errno;
	close(fd);
	return ret;
}

ssize_t ct_read(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n = 0;

	if (fd < 0)
		return -errno;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	if (n < 0)
		len = -errno;
	else
		buf[len] = '\0';
	close(fd);
	return len;
}

bool ct_file_contains(const char *path, const char *needle)
{
	static char buf[1 << 16];

	return ct_read(path, buf, sizeof(buf)) >= 0 && strstr(buf, needle);
}

static void rm_children(const char *dir)
{
	char path[4096];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		rm_children(path);
		if (rmdir(path) && errno != ENOENT) {
			/* Left behind, it keeps its hierarchy alive: say why. */
			printf("# cleanup: rmdir %s: %s; its tasks:\n", path, strerror(errno));
			snprintf(path + strlen(path), sizeof(path) - strlen(path), "/tasks");
			show_lines(path, NULL);
			fflush(stdout);
		}
	}
	closedir(d);
}

void ct_cleanup(const char *dir)
{
	char procs[4096];

	if (!dir)
		return;
	/* A container this process is still in could not be removed. */
	snprintf(procs, sizeof(procs), "%s/container.procs", dir);
	ct_write_id(procs, getpid());
	rm_children(dir);
	while (!umount(dir))
		;
	if (errno == EBUSY)
		printf("# cleanup: umount %s: busy\n", dir);
	rmdir(dir);
}

int ct_mkdir(const char *path)
{
	return mkdir(path, 0755) ? -errno : 0;
}

int ct_rmdir(const char *path)
{
	return rmdir(path) ? -errno : 0;
}

int ct_mount_line(const char *dir, char *buf, size_t size)
{
	char line[4096], pat[512];
	FILE *f = fopen("/proc/mounts", "r");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	snprintf(pat, sizeof(pat), " %s container ", dir);
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, pat)) {
			snprintf(buf, size, "%s", line);
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

bool ct_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static char bigbuf[1 << 20];

int ct_count_id(const char *path, int id)
{
	char *line, *save = NULL;
	int n = 0;

	if (ct_read(path, bigbuf, sizeof(bigbuf)) < 0)
		return -errno;
	for (line = strtok_r(bigbuf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (atoi(line) == id)
			n++;
	return n;
}

int ct_count_lines(const char *path)
{
	ssize_t len = ct_read(path, bigbuf, sizeof(bigbuf));
	int n = 0;

	if (len < 0)
		return len;
	for (ssize_t i = 0; i < len; i++)
		n += bigbuf[i] == '\n';
	return n;
}

int ct_write_id(const char *path, int id)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d\n", id);
	return ct_write(path, buf);
}

long ct_read_long(const char *path)
{
	char buf[64];
	ssize_t n = ct_read(path, buf, sizeof(buf));

	return n < 0 ? n : strtol(buf, NULL, 10);
}

bool ct_reads(const char *path, const char *want)
{
	char buf[256], exp[256];

	if (ct_read(path, buf, sizeof(buf)) < 0)
		return false;
	snprintf(exp, sizeof(exp), "%s\n", want);
	return !strcmp(buf, exp);
}

bool ct_eventually_reads(const char *path, const char *want)
{
	return ct_wait_until(ct_reads(path, want));
}

double ct_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

bool ct_soak(void)
{
	const char *s = getenv("CONTAINER_SOAK");

	return s && atof(s) > 0;
}

double ct_stress_seconds(double dflt)
{
	return ct_soak() ? atof(getenv("CONTAINER_SOAK")) : dflt;
}

unsigned int ct_seed(void)
{
	static unsigned int seed;
	static bool chosen;
	const char *s = getenv("CONTAINER_SEED");

	if (!chosen) {
		seed = s && *s ? strtoul(s, NULL, 0) : (unsigned int)time(NULL) ^ getpid();
		chosen = true;
		printf("# seed %u (rerun with CONTAINER_SEED=%u)\n", seed, seed);
		fflush(stdout);
	}
	return seed;
}

int ct_status_field(pid_t pid, const char *key, char *buf, size_t size)
{
	char path[64], line[512];
	size_t klen = strlen(key);
	FILE *f;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			char *v = line + klen + 1;

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = 0;
			snprintf(buf, size, "%s", v);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

pid_t ct_spawn_sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid;
}

void ct_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
