// C reference for scripts/bench/append.ts: 512-byte records memcpy'd into a mapped file, size published after each.
//
// usage: memcpy-ref RECORDS_FILE OUT_FILE N RUNS
// RECORDS_FILE holds 1024 pre-encoded 512-byte records (written by append.ts), copied in
// rotation. Each run creates OUT_FILE (24-byte header + N zeroed slots, written with
// write(2) and fsync'd, as the tickrec writer does), maps it MAP_SHARED, and times the copy loop.
// Prints one line per run, "<M records/s>:<kernel share>" for: release store, seq_cst store, release store with
// the pages read-faulted first (MAP_POPULATE), release store with the pages pre-faulted
// writable (MADV_POPULATE_WRITE: the copy alone, no page fault in the loop).
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define REC 512
#define HDR 24
#define NRECS 1024

static char recs[NRECS * REC];

static double cpu_s(int sys) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  struct timeval t = sys ? ru.ru_stime : ru.ru_utime;
  return t.tv_sec + t.tv_usec / 1e6;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

// populate: 0 = none, 1 = MAP_POPULATE (read faults), 2 = MADV_POPULATE_WRITE.
static char *make_file(const char *path, size_t bytes, int populate) {
  static char zeros[1 << 20];
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) { perror(path); exit(1); }
  for (size_t at = 0; at < bytes;) {
    size_t len = bytes - at < sizeof zeros ? bytes - at : sizeof zeros;
    ssize_t w = pwrite(fd, zeros, len, (off_t)at);
    if (w <= 0) { perror("pwrite"); exit(1); }
    at += (size_t)w;
  }
  if (fsync(fd) != 0) { perror("fsync"); exit(1); } // as RtWriter does for a new file
  char *base = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | (populate == 1 ? MAP_POPULATE : 0), fd, 0);
  if (base == MAP_FAILED) { perror("mmap"); exit(1); }
  if (populate == 2 && madvise(base, bytes, MADV_POPULATE_WRITE) != 0) { perror("madvise"); exit(1); }
  close(fd);
  return base;
}

// order: 0 = release store of size (what datakit's plain store compiles to on x86),
// 1 = seq_cst (what Atomics.store is).
// Prints "<M records/s>:<kernel share of the CPU time>".
static void run(const char *path, size_t n, int order, int populate) {
  size_t bytes = HDR + n * REC;
  char *base = make_file(path, bytes, populate);
  uint32_t *size = (uint32_t *)(base + 12);
  double k0 = cpu_s(1), u0 = cpu_s(0);
  double t0 = now_s();
  for (size_t i = 0; i < n; i++) {
    memcpy(base + HDR + i * REC, recs + (i & (NRECS - 1)) * REC, REC);
    if (order == 0) __atomic_store_n(size, (uint32_t)(i + 1), __ATOMIC_RELEASE);
    else __atomic_store_n(size, (uint32_t)(i + 1), __ATOMIC_SEQ_CST);
  }
  double dt = now_s() - t0;
  double kernel = cpu_s(1) - k0, user = cpu_s(0) - u0;
  munmap(base, bytes);
  unlink(path);
  printf("%.3f:%.3f ", n / dt / 1e6, kernel + user > 0 ? kernel / (kernel + user) : 0);
}

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: %s RECORDS_FILE OUT_FILE N RUNS\n", argv[0]); return 2; }
  FILE *f = fopen(argv[1], "rb");
  if (!f || fread(recs, 1, sizeof recs, f) != sizeof recs) { perror(argv[1]); return 1; }
  fclose(f);
  size_t n = strtoul(argv[3], NULL, 10);
  int runs = atoi(argv[4]);
  for (int r = 0; r < runs; r++) {
    run(argv[2], n, 0, 0);
    run(argv[2], n, 1, 0);
    run(argv[2], n, 0, 1);
    run(argv[2], n, 0, 2);
    printf("\n");
    fflush(stdout);
  }
  return 0;
}
