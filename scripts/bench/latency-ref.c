// C reference for scripts/bench/latency.ts: the same writer→reader protocol between two processes, without Node, to show this machine's floor.
//
// usage: latency-ref FILE WARM N spin|sleep PERIOD_NS
// Forks a reader that spins on `size` (acquire loads) and, per record, subtracts the
// CLOCK_MONOTONIC stamp the writer put at byte 80 (settle_price) from its own clock.
// The writer copies 512-byte records and publishes each with a release store of `size`,
// pacing by spinning or by nanosleep. Prints "p50 p99 p99.9 max" in µs and the reader's
// involuntary context switches.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REC 512
#define HDR 24

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void reader(char *base, size_t warm, size_t n) {
  uint32_t *size = (uint32_t *)(base + 12);
  double *lat = malloc(n * sizeof *lat);
  struct rusage r0, r1;
  size_t seen = 0;
  while (seen < warm + n) {
    uint32_t avail = __atomic_load_n(size, __ATOMIC_ACQUIRE);
    for (; seen < avail; seen++) {
      double stamp;
      memcpy(&stamp, base + HDR + seen * REC + 80, sizeof stamp);
      double now = now_ns();
      if (seen == warm) getrusage(RUSAGE_SELF, &r0);
      if (seen >= warm) lat[seen - warm] = now - stamp;
    }
  }
  getrusage(RUSAGE_SELF, &r1);
  qsort(lat, n, sizeof *lat, cmp);
  printf("%.2f %.2f %.2f %.2f %ld\n", lat[n / 2] / 1e3, lat[n * 99 / 100] / 1e3, lat[n * 999 / 1000] / 1e3, lat[n - 1] / 1e3,
         r1.ru_nivcsw - r0.ru_nivcsw);
}

int main(int argc, char **argv) {
  if (argc != 6) { fprintf(stderr, "usage: %s FILE WARM N spin|sleep PERIOD_NS\n", argv[0]); return 2; }
  size_t warm = strtoul(argv[2], NULL, 10), n = strtoul(argv[3], NULL, 10);
  int sleepy = strcmp(argv[4], "sleep") == 0;
  double period = atof(argv[5]);
  size_t bytes = HDR + (warm + n) * REC;
  int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) { perror(argv[1]); return 1; }
  static char zeros[1 << 20]; // real zeros and fsync, as RtWriter creates a file
  for (size_t at = 0; at < bytes;) {
    size_t len = bytes - at < sizeof zeros ? bytes - at : sizeof zeros;
    ssize_t w = pwrite(fd, zeros, len, (off_t)at);
    if (w <= 0) { perror("pwrite"); return 1; }
    at += (size_t)w;
  }
  if (fsync(fd) != 0) { perror("fsync"); return 1; }
  char *base = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) { perror("mmap"); return 1; }
  pid_t pid = fork();
  if (pid == 0) {
    reader(base, warm, n);
    return 0;
  }
  usleep(200000); // the reader reaches its loop
  static char rec[REC];
  double next = now_ns();
  struct timespec gap = { 0, (long)period };
  for (size_t i = 0; i < warm + n; i++) {
    if (sleepy) nanosleep(&gap, NULL);
    else for (next += period; now_ns() < next;);
    double stamp = now_ns();
    memcpy(base + HDR + i * REC, rec, REC);
    memcpy(base + HDR + i * REC + 80, &stamp, sizeof stamp);
    __atomic_store_n((uint32_t *)(base + 12), (uint32_t)(i + 1), __ATOMIC_RELEASE);
  }
  int status;
  waitpid(pid, &status, 0);
  unlink(argv[1]);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
