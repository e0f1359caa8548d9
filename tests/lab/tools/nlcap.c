/* nlcap: records every netlink message seen on an nlmon device, one line per packet:
 *   "K <hex>"  user space -> kernel   (PACKET_KERNEL, 7)
 *   "U <hex>"  kernel -> user space   (PACKET_USER, 6)
 * Usage: nlcap IFNAME OUTFILE READYFILE. Stops on SIGTERM after draining what is queued.
 * Used by tests/lab/scenarios/ipvs-golden-capture.guest.sh; built statically on the host. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv)
{
	if (argc != 4) { fprintf(stderr, "usage: nlcap IFNAME OUTFILE READYFILE\n"); return 2; }
	int fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL));
	if (fd < 0) { perror("nlcap: socket"); return 1; }
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				   .sll_ifindex = (int)if_nametoindex(argv[1]) };
	if (!sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) { perror("nlcap: bind"); return 1; }
	FILE *out = fopen(argv[2], "w");
	if (!out) { perror("nlcap: open"); return 1; }
	signal(SIGTERM, on_term);
	FILE *ready = fopen(argv[3], "w");
	if (ready) fclose(ready);
	static unsigned char buf[1 << 16];
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, stop ? 0 : 100);
		if (r == 0 && stop) break;
		if (r <= 0) continue;
		struct sockaddr_ll from; socklen_t fl = sizeof from;
		ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
		if (n < 0) { if (errno == EINTR) continue; perror("nlcap: recv"); return 1; }
		fputs(from.sll_pkttype == 7 ? "K " : "U ", out);
		for (ssize_t i = 0; i < n; i++) fprintf(out, "%02x", buf[i]);
		fputc('\n', out);
	}
	fclose(out);
	return 0;
}
