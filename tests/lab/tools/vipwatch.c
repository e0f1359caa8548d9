/* vipwatch: who answers for an address on an Ethernet segment, sampled every few milliseconds.
 * Used by the split-brain lab scenario as the observer on the public segment.
 *
 * Usage: vipwatch IFACE VIP INTERVAL_MS SENDER_BASE OUTFILE
 *   Broadcasts an ARP who-has VIP every INTERVAL_MS until SIGTERM/SIGINT. Request n is sent
 *   from sender address SENDER_BASE + (n mod 64), so every reply names the request it answers
 *   (a reply's target address is the request's sender address): two MACs answering the same
 *   request are two holders at the same instant, whatever the answer latency (up to 64
 *   intervals). Every kernel holding VIP answers a broadcast request (RFC 826), so this sees
 *   holders, not only the one a switch would pick.
 * Output lines (times in microseconds since the epoch, CLOCK_REALTIME, to merge with the
 * driver's fault times):
 *   S <t_us> <n>            request n sent
 *   R <t_us> <n> <mac>      a reply to request n from <mac>
 * The file is flushed after every line so the driver can read it while this runs. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SENDERS 64

struct arp_eth {
	uint16_t htype, ptype;
	uint8_t hlen, plen;
	uint16_t op;
	uint8_t sha[6], spa[4], tha[6], tpa[4];
} __attribute__((packed));

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

static long long now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static long long mono_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: vipwatch IFACE VIP INTERVAL_MS SENDER_BASE OUTFILE\n");
		return 2;
	}
	const char *ifname = argv[1];
	struct in_addr vip, base;
	if (inet_pton(AF_INET, argv[2], &vip) != 1 || inet_pton(AF_INET, argv[4], &base) != 1) {
		fprintf(stderr, "vipwatch: bad address %s or %s\n", argv[2], argv[4]);
		return 2;
	}
	long interval = atol(argv[3]);
	if (interval < 1) { fprintf(stderr, "vipwatch: interval must be >= 1 ms\n"); return 2; }
	FILE *out = fopen(argv[5], "w");
	if (!out) { perror(argv[5]); return 2; }

	int fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ARP));
	if (fd < 0) { perror("vipwatch: AF_PACKET socket"); return 1; }
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) { fprintf(stderr, "vipwatch: interface %s: %s\n", ifname, strerror(errno)); return 1; }
	int ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) { fprintf(stderr, "vipwatch: MAC of %s: %s\n", ifname, strerror(errno)); return 1; }
	uint8_t mac[6];
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP), .sll_ifindex = ifindex };
	if (bind(fd, (struct sockaddr *)&ll, sizeof ll) < 0) { perror("vipwatch: bind"); return 1; }
	struct sockaddr_ll bcast = ll;
	bcast.sll_halen = 6;
	memset(bcast.sll_addr, 0xff, 6);

	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	uint32_t base_h = ntohl(base.s_addr);
	long long next = mono_us();
	unsigned long n = 0;
	while (!stop) {
		long long m = mono_us();
		if (m >= next) {
			struct arp_eth req = { htons(1), htons(ETH_P_IP), 6, 4, htons(1) };
			memcpy(req.sha, mac, 6);
			uint32_t spa = htonl(base_h + (uint32_t)(n % SENDERS));
			memcpy(req.spa, &spa, 4);
			memcpy(req.tpa, &vip.s_addr, 4);
			if (sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&bcast, sizeof bcast) < 0 && errno != EINTR) {
				perror("vipwatch: sendto");
				return 1;
			}
			fprintf(out, "S %lld %lu\n", now_us(), n);
			fflush(out);
			n++;
			next += interval * 1000;
			if (next < m) next = m + interval * 1000; /* we were descheduled: do not burst */
		}
		int wait_ms = (int)((next - mono_us() + 999) / 1000);
		struct pollfd p = { fd, POLLIN, 0 };
		int r = poll(&p, 1, wait_ms < 0 ? 0 : wait_ms);
		if (r <= 0) continue;
		uint8_t buf[256];
		struct sockaddr_ll from;
		socklen_t fl = sizeof from;
		ssize_t len = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
		if (len < (ssize_t)sizeof(struct arp_eth) || from.sll_pkttype == PACKET_OUTGOING) continue;
		struct arp_eth *a = (struct arp_eth *)buf;
		if (ntohs(a->op) != 2 || memcmp(a->spa, &vip.s_addr, 4)) continue;
		uint32_t tpa;
		memcpy(&tpa, a->tpa, 4);
		uint32_t k = ntohl(tpa) - base_h;
		if (k >= SENDERS || memcmp(a->tha, mac, 6)) continue; /* a gratuitous ARP, or someone else's question */
		/* The request this answers: the latest sent n' with n' mod SENDERS == k. */
		unsigned long last = n - 1, back = (last % SENDERS + SENDERS - k) % SENDERS;
		if (back > last) continue;
		fprintf(out, "R %lld %lu %02x:%02x:%02x:%02x:%02x:%02x\n", now_us(), last - back,
			a->sha[0], a->sha[1], a->sha[2], a->sha[3], a->sha[4], a->sha[5]);
		fflush(out);
	}
	fclose(out);
	return 0;
}
