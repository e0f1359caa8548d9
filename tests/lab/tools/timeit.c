/* timeit: runs a command and prints its wall-clock time in milliseconds (CLOCK_MONOTONIC).
 * Usage: timeit [-i STDIN_FILE] [-o STDOUT_FILE] -- COMMAND [ARGS...]
 * Prints "ms=<float> rc=<exit code>" on stderr. Used by the IPVS benchmark in the lab. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	int i = 1;
	for (; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-i") && i + 1 < argc) in = argv[++i];
		else if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
		else { fprintf(stderr, "usage: timeit [-i IN] [-o OUT] -- CMD...\n"); return 2; }
	}
	if (i + 1 >= argc) { fprintf(stderr, "usage: timeit [-i IN] [-o OUT] -- CMD...\n"); return 2; }
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid_t pid = fork();
	if (pid == 0) {
		if (in) { int fd = open(in, O_RDONLY); if (fd < 0) { perror(in); _exit(126); } dup2(fd, 0); close(fd); }
		if (out) { int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644); if (fd < 0) { perror(out); _exit(126); } dup2(fd, 1); close(fd); }
		execvp(argv[i + 1], &argv[i + 1]);
		perror(argv[i + 1]);
		_exit(127);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ms = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
	fprintf(stderr, "ms=%.1f rc=%d\n", ms, WIFEXITED(status) ? WEXITSTATUS(status) : 128);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
