/* Raw loopback ping-pong: the yardstick for Switchyard's round trip.
 *
 * A forked echo server and a client on blocking TCP sockets (TCP_NODELAY) exchange a request of
 * REQUEST bytes and a reply of REPLY bytes, one at a time, the sizes of a framed Health call.
 * Prints p50 and p99 of the round trip.
 *
 *   cc -O2 -o pingpong tools/pingpong.c && ./pingpong [count] [request-bytes] [reply-bytes]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void full_io(int fd, char *buf, size_t n, int reading) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = reading ? read(fd, buf + done, n - done) : write(fd, buf + done, n - done);
    if (r <= 0) exit(reading && r == 0 ? 0 : 1);
    done += (size_t)r;
  }
}

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int count = argc > 1 ? atoi(argv[1]) : 20000;
  size_t request = argc > 2 ? (size_t)atoi(argv[2]) : 24, reply = argc > 3 ? (size_t)atoi(argv[3]) : 40;
  char buf[65536];
  int one = 1;

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) || listen(listener, 1) ||
      getsockname(listener, (struct sockaddr *)&addr, &len)) { perror("listen"); return 1; }

  pid_t child = fork();
  if (child == 0) {
    int fd = accept(listener, NULL, NULL);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (;;) { full_io(fd, buf, request, 1); full_io(fd, buf, reply, 0); }
  }
  close(listener);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr)) { perror("connect"); return 1; }
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  double *samples = malloc(sizeof(double) * (size_t)count);
  for (int i = -count / 10; i < count; i++) {
    double start = now_ns();
    full_io(fd, buf, request, 0);
    full_io(fd, buf, reply, 1);
    if (i >= 0) samples[i] = now_ns() - start;
  }
  close(fd);
  kill(child, SIGTERM);
  waitpid(child, NULL, 0);
  qsort(samples, (size_t)count, sizeof(double), cmp);
  printf("raw loopback ping-pong (C, blocking): p50 %.1f us, p99 %.1f us (%d round trips, %zu/%zu bytes)\n",
         samples[count / 2 - 1 + count % 2] / 1000, samples[(int)(count * 0.99) - 1] / 1000, count, request, reply);
  return 0;
}
