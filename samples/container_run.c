// SPDX-License-Identifier: GPL-2.0
/*
 * container_run: run a command in a new container, then remove it.
 *
 *   container_run HIERARCHY NAME [FILE=VALUE...] -- COMMAND [ARG...]
 *
 * HIERARCHY is where a container hierarchy is mounted, e.g.
 *
 *   mount -t container -o cpuset,memset none /containers
 *   container_run /containers job cpuset.cpus=2-3 memset.mems=1 -- make -j2
 *
 * creates /containers/job, writes each VALUE to its control file FILE,
 * runs COMMAND inside the container (its children too: they inherit it),
 * waits for it, and removes the container. Exit status: COMMAND's, or 125
 * if the container could not be set up.
 *
 * Build: cc -o container_run container_run.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Writes VALUE to DIR/FILE in one write(2), as the control files expect. */
static int write_file(const char *dir, const char *file, const char *value)
{
	char path[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "container_run: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = write(fd, value, strlen(value));
	if (n < 0)
		fprintf(stderr, "container_run: %s: writing '%s': %s\n", path, value,
			strerror(errno));
	close(fd);
	return n < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	char dir[4096];
	int i, status, cmd = 0;
	pid_t pid;

	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			cmd = i + 1;
			break;
		}
	}
	if (argc < 3 || !cmd || cmd >= argc) {
		fprintf(stderr, "usage: %s HIERARCHY NAME [FILE=VALUE...] -- COMMAND [ARG...]\n",
			argv[0]);
		return 125;
	}

	/* 1. The container: a directory in the hierarchy. */
	snprintf(dir, sizeof(dir), "%s/%s", argv[1], argv[2]);
	if (mkdir(dir, 0755)) {
		fprintf(stderr, "container_run: mkdir %s: %s\n", dir, strerror(errno));
		return 125;
	}

	/* 2. Its configuration: FILE=VALUE pairs, e.g. cpuset.cpus=2-3. */
	for (i = 3; i < cmd - 1; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq) {
			fprintf(stderr, "container_run: expected FILE=VALUE, got '%s'\n", argv[i]);
			goto fail;
		}
		*eq = '\0';
		if (write_file(dir, argv[i], eq + 1))
			goto fail;
	}

	/* 3. A child that moves itself in ("0" is the writer) and runs COMMAND. */
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0) {
		if (write_file(dir, "tasks", "0"))
			_exit(125);
		execvp(argv[cmd], argv + cmd);
		fprintf(stderr, "container_run: %s: %s\n", argv[cmd], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		goto fail;

	/*
	 * 4. Clean up. rmdir fails with EBUSY while a task is still inside
	 * (COMMAND left something running in the background): say so and
	 * leave the container for the administrator.
	 */
	if (rmdir(dir))
		fprintf(stderr, "container_run: rmdir %s: %s\n", dir, strerror(errno));
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);

fail:
	rmdir(dir);
	return 125;
}
