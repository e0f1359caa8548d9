/* connhold: holds many long-lived TCP connections through a VIP and reports how many survive.
 *
 *   connhold serve PORT
 *       echo server (epoll): every byte received is sent back.
 *   connhold hold ADDR PORT COUNT INTERVAL_MS STATUS_FILE
 *       opens COUNT connections to ADDR:PORT (one by one), then on each sends one byte every
 *       INTERVAL_MS (start times staggered over the interval) and reads the echo. A connection
 *       is "dead" once it sees RST/EOF/an error, "stale" while it is open but has had no echo
 *       for 3 intervals + 2 s. Every second STATUS_FILE is rewritten (atomically) with
 *       "opened=N alive=A dead=D stale=S fresh=F marked=M" (fresh = alive and not stale;
 *       marked = alive with an echo received after the last SIGUSR1, i.e. a round trip
 *       completed after the event the caller marked). Runs until SIGTERM.
 * Written for the appliance's lab (tests/lab/scenarios/sync-*); static, no dependencies.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop, mark_requested;
static void on_term(int s) { (void)s; stop = 1; }
static void on_usr1(int s) { (void)s; mark_requested = 1; }

static long long now_ms(void) {
  struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int serve(int port) {
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 4096)) { perror("connhold serve"); return 1; }
  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN, .data.fd = ls };
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  struct epoll_event evs[256];
  char buf[4096];
  while (!stop) {
    int n = epoll_wait(ep, evs, 256, 1000);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == ls) {
        int c;
        while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          struct epoll_event ce = { .events = EPOLLIN, .data.fd = c };
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
        }
        continue;
      }
      ssize_t r = read(fd, buf, sizeof buf);
      if (r <= 0) { if (r == 0 || errno != EAGAIN) close(fd); continue; }
      if (write(fd, buf, r) < 0 && errno != EAGAIN) close(fd);
    }
  }
  return 0;
}

struct conn { int fd; int dead; long long next_send, last_echo; };

static int hold(const char *addr, int port, int count, int interval, const char *status) {
  struct conn *c = calloc(count, sizeof *c);
  int ep = epoll_create1(0), opened = 0;
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) { fprintf(stderr, "connhold: bad address %s\n", addr); return 2; }
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", status);
  long long next_status = 0, mark = -1;
  int next_open = 0;
  struct epoll_event evs[256];
  char buf[256];
  while (!stop) {
    /* Open the connections a few at a time from inside the loop, so that connections already
     * open keep their keepalive while the rest are being opened (a slow guest may need longer
     * to open them all than the IPVS timeout). */
    for (int k = 0; k < 20 && next_open < count; k++, next_open++) {
      int i = next_open, fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (connect(fd, (struct sockaddr *)&a, sizeof a)) { fprintf(stderr, "connhold: connect %d: %s\n", i, strerror(errno)); close(fd); c[i].fd = -1; c[i].dead = 1; continue; }
      fcntl(fd, F_SETFL, O_NONBLOCK);
      c[i].fd = fd;
      c[i].last_echo = now_ms();
      c[i].next_send = now_ms() + (long long)interval * i / count;
      struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = (unsigned)i };
      epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
      opened++;
    }
    long long t = now_ms();
    if (mark_requested) { mark_requested = 0; mark = t; next_status = 0; }
    for (int i = 0; i < next_open; i++) {
      if (c[i].dead || c[i].next_send > t) continue;
      if (write(c[i].fd, "k", 1) < 0 && errno != EAGAIN) { c[i].dead = 1; close(c[i].fd); }
      c[i].next_send += interval;
      if (c[i].next_send < t) c[i].next_send = t + interval;
    }
    if (t >= next_status) {
      int alive = 0, dead = 0, stale = 0, marked = 0;
      for (int i = 0; i < next_open; i++) {
        if (c[i].dead) { dead++; continue; }
        alive++;
        if (t - c[i].last_echo > 3LL * interval + 2000) stale++;
        if (mark >= 0 && c[i].last_echo > mark) marked++;
      }
      FILE *f = fopen(tmp, "w");
      if (f) { fprintf(f, "opened=%d alive=%d dead=%d stale=%d fresh=%d marked=%d\n", opened, alive, dead, stale, alive - stale, marked); fclose(f); rename(tmp, status); }
      next_status = t + 1000;
    }
    int n = epoll_wait(ep, evs, 256, next_open < count ? 0 : 50);
    for (int k = 0; k < n; k++) {
      int i = (int)evs[k].data.u32;
      if (c[i].dead) continue;
      ssize_t r = read(c[i].fd, buf, sizeof buf);
      if (r > 0) c[i].last_echo = now_ms();
      else if (r == 0 || errno != EAGAIN) { c[i].dead = 1; epoll_ctl(ep, EPOLL_CTL_DEL, c[i].fd, NULL); close(c[i].fd); }
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGTERM, on_term); signal(SIGINT, on_term); signal(SIGPIPE, SIG_IGN); signal(SIGUSR1, on_usr1);
  if (argc == 3 && !strcmp(argv[1], "serve")) return serve(atoi(argv[2]));
  if (argc == 7 && !strcmp(argv[1], "hold")) return hold(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), argv[6]);
  fprintf(stderr, "usage: connhold serve PORT | connhold hold ADDR PORT COUNT INTERVAL_MS STATUS_FILE\n");
  return 2;
}
