/* Benchmark real servers for the health checker: one epoll loop listening on COUNT loopback
 * addresses starting at FIRST (host octets .0 and .255 skipped, like the bench verb), all on
 * PORT. Every connection gets one fixed HTTP/1.1 200 answer after the request head arrives,
 * then the server closes. Cheap on purpose, so the machine's CPU goes to the checker measured.
 * WORKERS processes (default 1) share the listeners, each with its own epoll and EPOLLEXCLUSIVE.
 * usage: httpd FIRST COUNT PORT [WORKERS] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nOK\n";

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) { fprintf(stderr, "usage: %s FIRST COUNT PORT [WORKERS]\n", argv[0]); return 2; }
    int workers = argc == 5 ? atoi(argv[4]) : 1;
    struct in_addr first;
    if (inet_pton(AF_INET, argv[1], &first) != 1) { fprintf(stderr, "bad address %s\n", argv[1]); return 2; }
    int count = atoi(argv[2]), port = atoi(argv[3]);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    int *listeners = calloc(count, sizeof *listeners);
    uint32_t a = ntohl(first.s_addr);
    for (int i = 0; i < count; a++) {
        if ((a & 0xff) == 0 || (a & 0xff) == 255) continue;
        int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
        setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(a) };
        if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(l, 128) < 0) {
            fprintf(stderr, "listening on %s:%d: %s\n", inet_ntoa(sa.sin_addr), port, strerror(errno));
            return 1;
        }
        listeners[i++] = l;
    }
    printf("listening on %d addresses from %s port %d, %d workers\n", count, argv[1], port, workers);
    fflush(stdout);
    for (int w = 1; w < workers; w++) if (fork() == 0) break;
    int ep = epoll_create1(0);
    for (int i = 0; i < count; i++) {
        /* listeners are tagged by the top bit so accepted sockets are told apart */
        struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = (1ULL << 63) | (uint64_t)listeners[i] };
        epoll_ctl(ep, EPOLL_CTL_ADD, listeners[i], &ev);
    }
    struct epoll_event evs[256];
    char buf[4096];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            uint64_t tag = evs[i].data.u64;
            int fd = (int)(tag & 0xffffffff);
            if (tag >> 63) {
                int c;
                while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u64 = (uint64_t)c };
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
                }
                continue;
            }
            ssize_t r = read(fd, buf, sizeof buf - 1);
            if (r > 0) {
                buf[r] = 0;
                /* checker requests are one small segment; answer once the head is complete */
                if (!strstr(buf, "\r\n\r\n")) continue;
                if (write(fd, answer, sizeof answer - 1) < 0) { /* client gone */ }
            } else if (r < 0 && errno == EAGAIN) continue;
            close(fd);
        }
    }
}
