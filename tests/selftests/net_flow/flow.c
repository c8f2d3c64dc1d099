// SPDX-License-Identifier: GPL-2.0
/*
 * Traffic and file helpers for test_net_flow.sh (a compiled program: an
 * interpreter's start-up costs seconds in the emulated debug guest, and the
 * suite starts dozens of these).
 *
 *   flow [-n NETNS] [-c DEV] COMMAND...
 *                                COMMAND in the network namespace NETNS
 *                                (/run/netns/NETNS, as made by ip netns add);
 *                                with -c, then prints "classes" and the bytes
 *                                each traffic control class of DEV sent
 *                                during COMMAND ("1:10=N", as tc names them)
 *   flow classes DEV             the bytes each class of DEV has sent, the
 *                                same way ("classes 1:10=N ...")
 *   flow write PATH VALUE...     per VALUE, one write(2) of it to PATH, then
 *                                one read: prints "ok" or the errno name,
 *                                a space and what PATH then reads
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
#include <sched.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/gen_stats.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
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
	fprintf(stderr, "usage: flow [-n NETNS] [-c DEV] write PATH VALUE... | classes DEV |\n"
			"       udp ADDR PORT COUNT SIZE [PRIO] | tcp-recv PORT [6] |\n"
			"       tcp-send ADDR PORT BYTES [CTL]\n");
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

/* PATH's contents, up to the first newline, into BUF. */
static void read_back(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		die(path);
	n = read(fd, buf, size - 1);
	if (n < 0)
		die(path);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	close(fd);
}

static int cmd_write(const char *path, char **values, int count)
{
	char now[256];
	const char *name;
	int i, fd;

	for (i = 0; i < count; i++) {
		fd = open(path, O_WRONLY);
		if (fd < 0)
			die(path);
		if (write(fd, values[i], strlen(values[i])) < 0) {
			name = strerrorname_np(errno);
			printf("%s", name ? name : "unknown");
		} else {
			printf("ok");
		}
		close(fd);
		read_back(path, now, sizeof(now));
		printf(" %s\n", now);
	}
	return 0;
}

/* Enters the network namespace ip-netns(8) calls NAME. */
static void enter_netns(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	if (setns(fd, CLONE_NEWNET))
		die("setns");
	close(fd);
}

static void drain(int s);

/* A traffic control class and the bytes it has sent. */
struct class_bytes {
	unsigned int handle;
	unsigned long long bytes;
};

#define MAX_CLASSES 16

/* The bytes of each TCA_STATS_BASIC in the nested TCA_STATS2 attribute A. */
static bool basic_bytes(struct rtattr *a, unsigned long long *bytes)
{
	int len = RTA_PAYLOAD(a);
	struct gnet_stats_basic basic;

	for (a = RTA_DATA(a); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == TCA_STATS_BASIC && RTA_PAYLOAD(a) >= sizeof(basic)) {
			memcpy(&basic, RTA_DATA(a), sizeof(basic));
			*bytes = basic.bytes;
			return true;
		}
	}
	return false;
}

/*
 * The classes of device DEV (in this network namespace) into CB, with the
 * bytes each has sent (what `tc -s class show` calls Sent); their number.
 */
static int dump_classes(const char *dev, struct class_bytes *cb)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req;
	static char buf[65536];
	struct nlmsghdr *nh;
	struct rtattr *a;
	struct tcmsg *tc;
	int s, n = 0, alen;
	ssize_t len;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = RTM_GETTCLASS;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.tc.tcm_family = AF_UNSPEC;
	req.tc.tcm_ifindex = if_nametoindex(dev);
	if (!req.tc.tcm_ifindex)
		die(dev);
	s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s < 0)
		die("netlink socket");
	if (send(s, &req, sizeof(req), 0) < 0)
		die("RTM_GETTCLASS");
	for (;;) {
		len = recv(s, buf, sizeof(buf), 0);
		if (len < 0)
			die("netlink recv");
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE) {
				close(s);
				return n;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				errno = -((struct nlmsgerr *)NLMSG_DATA(nh))->error;
				die("RTM_GETTCLASS");
			}
			if (nh->nlmsg_type != RTM_NEWTCLASS || n == MAX_CLASSES)
				continue;
			tc = NLMSG_DATA(nh);
			alen = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*tc));
			a = (struct rtattr *)((char *)tc + NLMSG_ALIGN(sizeof(*tc)));
			for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
				if (a->rta_type == TCA_STATS2 && basic_bytes(a, &cb[n].bytes)) {
					cb[n++].handle = tc->tcm_handle;
					break;
				}
			}
		}
	}
}

/* Prints the classes in NOW, each with its bytes less those in BEFORE. */
static void print_classes(const struct class_bytes *now, int n,
			  const struct class_bytes *before, int m)
{
	unsigned long long b;
	int i, j;

	printf("classes");
	for (i = 0; i < n; i++) {
		b = now[i].bytes;
		for (j = 0; j < m; j++)
			if (before[j].handle == now[i].handle)
				b -= before[j].bytes;
		printf(" %x:%x=%llu", TC_H_MAJ(now[i].handle) >> 16, TC_H_MIN(now[i].handle), b);
	}
	printf("\n");
	fflush(stdout);
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
	/* Every datagram has left the qdisc (and is counted in its class). */
	drain(s);
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

static int command(int argc, char **argv)
{
	struct class_bytes cb[MAX_CLASSES];

	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "classes") && argc == 3) {
		print_classes(cb, dump_classes(argv[2], cb), NULL, 0);
		return 0;
	}
	argc -= 2;
	if (!strcmp(argv[1], "write") && argc >= 2)
		return cmd_write(argv[2], argv + 3, argc - 1);
	if (!strcmp(argv[1], "udp") && (argc == 4 || argc == 5))
		return cmd_udp(argv + 2, argc);
	if (!strcmp(argv[1], "tcp-recv") && (argc == 1 || argc == 2))
		return cmd_tcp_recv(argv[2], argc == 2);
	if (!strcmp(argv[1], "tcp-send") && (argc == 3 || argc == 4))
		return cmd_tcp_send(argv + 2, argc);
	return usage();
}

int main(int argc, char **argv)
{
	struct class_bytes before[MAX_CLASSES], after[MAX_CLASSES];
	const char *dev = NULL;
	int n, m, ret;

	if (argc > 2 && !strcmp(argv[1], "-n")) {
		enter_netns(argv[2]);
		argc -= 2;
		argv += 2;
	}
	if (argc > 2 && !strcmp(argv[1], "-c")) {
		dev = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (!dev)
		return command(argc, argv);
	m = dump_classes(dev, before);
	ret = command(argc, argv);
	if (ret)
		return ret;
	n = dump_classes(dev, after);
	print_classes(after, n, before, m);
	return 0;
}
