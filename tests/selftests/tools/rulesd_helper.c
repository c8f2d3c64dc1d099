// SPDX-License-Identifier: GPL-2.0
/*
 * Helper of test_rulesd.sh (compiled: an interpreter starts slowly in the
 * emulated debug guest).
 *
 *   rulesd_helper ask SOCKET PID|self [PROGRAM ARGV0 ARGS...]
 *	sends "sticky PID" to container-rulesd's socket, prints the reply
 *	and, when it is "ok" and PROGRAM is given, execs PROGRAM;
 *   rulesd_helper setuid-after FILE UID
 *	waits until FILE exists, then changes its real, effective and saved
 *	uid to UID without exec'ing, and sleeps 100 s;
 *   rulesd_helper forks N
 *	forks N children at once (each sleeps 300 s, no exec), then waits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int ask(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char msg[64], reply[256];
	ssize_t n, got = 0;
	long pid;
	int fd;

	if (argc < 4)
		return 2;
	pid = strcmp(argv[3], "self") ? atol(argv[3]) : (long)getpid();
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || strlen(argv[2]) >= sizeof(addr.sun_path))
		return 1;
	strcpy(addr.sun_path, argv[2]);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror("connect");
		return 1;
	}
	snprintf(msg, sizeof(msg), "sticky %ld\n", pid);
	if (write(fd, msg, strlen(msg)) != (ssize_t)strlen(msg))
		return 1;
	while (got < (ssize_t)sizeof(reply) - 1 &&
	       (n = read(fd, reply + got, sizeof(reply) - 1 - got)) > 0)
		got += n;
	reply[got] = 0;
	close(fd);
	reply[strcspn(reply, "\n")] = 0;
	printf("%s\n", reply);
	fflush(stdout);
	if (!strcmp(reply, "ok") && argc > 5) {
		execv(argv[4], argv + 5);
		perror("execv");
		return 1;
	}
	return 0;
}

static int setuid_after(int argc, char **argv)
{
	uid_t uid;

	if (argc < 4)
		return 2;
	uid = (uid_t)atol(argv[3]);
	while (access(argv[2], F_OK))
		usleep(50000);
	if (setresuid(uid, uid, uid)) {
		perror("setresuid");
		return 1;
	}
	sleep(100);
	return 0;
}

static int forks(int argc, char **argv)
{
	int i, n;

	if (argc < 3)
		return 2;
	n = atoi(argv[2]);
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			sleep(300);
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "ask"))
		return ask(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "setuid-after"))
		return setuid_after(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "forks"))
		return forks(argc, argv);
	fprintf(stderr, "usage: %s ask SOCKET PID|self [PROGRAM ARGV0 ARGS...] | setuid-after FILE UID | forks N\n",
		argv[0]);
	return 2;
}
