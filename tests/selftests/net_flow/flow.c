// SPDX-License-Identifier: GPL-2.0
/*
 * Traffic and file helpers for test_net_flow.sh (a compiled program: an
 * interpreter's start-up costs seconds in the emulated debug guest, and the
 * suite starts dozens of these).
 *
 *   flow write PATH VALUE        one write(2); prints "ok" or the errno name
 *   flow udp ADDR PORT COUNT SIZE [PRIO]
 *                                sends COUNT datagrams (SO_PRIORITY=PRIO if given)
 *   flow tcp-recv PORT [6]       accepts one connection, reads to EOF, prints bytes
 *   flow tcp-send ADDR PORT BYTES [CTL]
 *                                sends BYTES; with CTL (a fifo), sends half,
 *                                waits for the send queue to drain, prints
 *                                "paused", waits for a line on CTL, sends the rest
 *
 * Every sender waits until the peer has acknowledged everything before
 * exiting. Exit status 0 on success, 1 on a failed system call (with a
 * message on stderr), 2 on bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>

/*
 * How long a sender waits for its data to be acknowledged: a hang
 * detector, far beyond what the slowest emulated guest needs.
 */
#define DRAIN_SECONDS 300

static int die(const char *what)
{
	fprintf(stderr, "flow: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int usage(void)
{
	fprintf(stderr, "usage: flow write PATH VALUE | udp ADDR PORT COUNT SIZE [PRIO] |\n"
			"       tcp-recv PORT [6] | tcp-send ADDR PORT BYTES [CTL]\n");
	return 2;
}

static long number(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < 0) {
		fprintf(stderr, "flow: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static int cmd_write(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY);
	const char *name;

	if (fd < 0)
		die(path);
	if (write(fd, value, strlen(value)) < 0) {
		name = strerrorname_np(errno);
		printf("%s\n", name ? name : "unknown");
	} else {
		printf("ok\n");
	}
	close(fd);
	return 0;
}

/* ADDR and PORT into SA; the address family. */
static int resolve(const char *addr, const char *port, struct sockaddr_storage *sa,
		   socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;

	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(number(port));
		*len = sizeof(*in6);
		return AF_INET6;
	}
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(number(port));
		*len = sizeof(*in);
		return AF_INET;
	}
	fprintf(stderr, "flow: bad address '%s'\n", addr);
	exit(2);
}

static int cmd_udp(char **argv, int argc)
{
	struct sockaddr_storage sa;
	long count = number(argv[2]), size = number(argv[3]);
	socklen_t len;
	char *payload;
	int s, prio;

	s = socket(resolve(argv[0], argv[1], &sa, &len), SOCK_DGRAM, 0);
	if (s < 0)
		die("socket");
	if (argc > 4) {
		prio = number(argv[4]);
		if (setsockopt(s, SOL_SOCKET, SO_PRIORITY, &prio, sizeof(prio)))
			die("SO_PRIORITY");
	}
	payload = malloc(size ? size : 1);
	if (!payload)
		die("malloc");
	memset(payload, 'u', size);
	while (count-- > 0)
		if (sendto(s, payload, size, 0, (struct sockaddr *)&sa, len) < 0)
			die("sendto");
	close(s);
	free(payload);
	return 0;
}

static int cmd_tcp_recv(const char *port, bool v6)
{
	struct sockaddr_storage sa;
	static char buf[65536];
	long long n = 0;
	socklen_t len;
	ssize_t r;
	int ls, c, one = 1;

	resolve(v6 ? "::" : "0.0.0.0", port, &sa, &len);
	ls = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (ls < 0)
		die("socket");
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, len) || listen(ls, 1))
		die("bind/listen");
	printf("listening\n");
	fflush(stdout);
	c = accept(ls, NULL, NULL);
	if (c < 0)
		die("accept");
	while ((r = read(c, buf, sizeof(buf))) > 0)
		n += r;
	if (r < 0)
		die("read");
	printf("%lld\n", n);
	return 0;
}

/* Waits until every byte sent on S has been acknowledged. */
static void drain(int s)
{
	time_t deadline = time(NULL) + DRAIN_SECONDS;
	int left;

	while (time(NULL) < deadline) {
		if (ioctl(s, SIOCOUTQ, &left))
			die("SIOCOUTQ");
		if (left == 0)
			return;
		usleep(10000);
	}
	fprintf(stderr, "flow: send queue did not drain in %d s\n", DRAIN_SECONDS);
	exit(1);
}

static void send_bytes(int s, long n)
{
	static char chunk[65536];
	ssize_t k;

	memset(chunk, 't', sizeof(chunk));
	while (n > 0) {
		k = write(s, chunk, n < (long)sizeof(chunk) ? n : (long)sizeof(chunk));
		if (k < 0)
			die("write");
		n -= k;
	}
}

static int cmd_tcp_send(char **argv, int argc)
{
	struct sockaddr_storage sa;
	long n = number(argv[2]), first = argc > 3 ? n / 2 : n;
	socklen_t len;
	char line[64];
	FILE *ctl;
	int s;

	s = socket(resolve(argv[0], argv[1], &sa, &len), SOCK_STREAM, 0);
	if (s < 0)
		die("socket");
	if (connect(s, (struct sockaddr *)&sa, len))
		die("connect");
	send_bytes(s, first);
	drain(s);
	if (argc > 3) {
		printf("paused\n");
		fflush(stdout);
		ctl = fopen(argv[3], "r");
		if (!ctl)
			die(argv[3]);
		if (!fgets(line, sizeof(line), ctl))
			die("reading the control fifo");
		fclose(ctl);
		send_bytes(s, n - first);
		drain(s);
	}
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	argc -= 2;
	if (!strcmp(argv[1], "write") && argc == 2)
		return cmd_write(argv[2], argv[3]);
	if (!strcmp(argv[1], "udp") && (argc == 4 || argc == 5))
		return cmd_udp(argv + 2, argc);
	if (!strcmp(argv[1], "tcp-recv") && (argc == 1 || argc == 2))
		return cmd_tcp_recv(argv[2], argc == 2);
	if (!strcmp(argv[1], "tcp-send") && (argc == 3 || argc == 4))
		return cmd_tcp_send(argv + 2, argc);
	return usage();
}
