// SPDX-License-Identifier: GPL-2.0
/*
 * Sends COUNT small UDP datagrams to ADDR:9 on a connected socket, 64 per
 * sendmmsg(2) call so that the per-packet path, not the system call,
 * dominates, and prints the nanoseconds per packet. Used by net_flow.sh.
 *
 *   udp_blast ADDR COUNT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9) };
	static char payload[64];
	struct iovec iov = { .iov_base = payload, .iov_len = sizeof(payload) };
	struct mmsghdr msgs[BATCH];
	struct timespec t0, t1;
	long count, sent = 0;
	int fd;

	if (argc != 3 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1)
		return 2;
	count = atol(argv[2]);
	for (int i = 0; i < BATCH; i++)
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (sent < count) {
		int n = sendmmsg(fd, msgs, count - sent < BATCH ? count - sent : BATCH, 0);

		if (n <= 0)
			return 1;
		sent += n;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.1f\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / count);
	return 0;
}
