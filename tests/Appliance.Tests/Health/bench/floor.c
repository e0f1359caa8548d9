/* The kernel's floor for one HTTP check on this machine: blocking connect, one request, read to
 * EOF, close, against the same httpd, from C with no runtime at all. Prints CPU per check.
 * usage: floor FIRST COUNT PORT ROUNDS */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 5) return 2;
    struct in_addr first;
    inet_pton(AF_INET, argv[1], &first);
    int count = atoi(argv[2]), port = atoi(argv[3]), rounds = atoi(argv[4]);
    static const char req[] = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    char buf[512];
    long done = 0, failed = 0;
    for (int r = 0; r < rounds; r++) {
        uint32_t a = ntohl(first.s_addr);
        for (int i = 0; i < count; a++) {
            if ((a & 0xff) == 0 || (a & 0xff) == 255) continue;
            i++;
            int s = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(a) };
            if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0 || write(s, req, sizeof req - 1) < 0) { failed++; close(s); continue; }
            ssize_t n, total = 0;
            while ((n = read(s, buf, sizeof buf)) > 0) total += n;
            if (total < 12 || memcmp(buf, "HTTP/1.1 200", 12)) failed++;
            close(s);
            done++;
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double user = ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec, sys = ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
    printf("floor: %ld checks (%ld failed): user %.1f us, system %.1f us, total %.1f us per check\n",
           done, failed, user / done, sys / done, (user + sys) / done);
    return 0;
}
