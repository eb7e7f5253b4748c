/* stamp FILE: write CLOCK_MONOTONIC in nanoseconds to FILE, first thing, then exit 0.
 * The preferred hand-off child (static, starts in ~0.1 ms). Built by bench/run.sh when
 * a C compiler exists; otherwise bench/cmd/stamp (Go) is used and the results say so. */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  if (argc < 2) return 2;
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 1;
  if (write(fd, buf, n) != n) return 1;
  return close(fd) == 0 ? 0 : 1;
}
