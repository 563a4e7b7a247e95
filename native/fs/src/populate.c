// populate(buffer, offset, length): makes the page-table entries of bytes [offset,
// offset + length) of a writable shared mapping (a Buffer from mmap-io) present and
// writable, on one helper thread of this addon, with madvise(MADV_POPULATE_WRITE)
// (Linux 5.14). Returns the job's number (1, 2, ...), or 0 when nothing was queued.
// populateDone(): the number of the last job finished (jobs finish in order).
//
// Why (POPULATE AHEAD, src/store/populate.ts): the first store into each page of a live
// file costs a page fault (a page-cache page, then the file system's page_mkwrite):
// 6-8 µs a page, about 1 µs a tick of 512 bytes, on the recorder's thread. Done here,
// ahead of the writer, the recorder's stores find the pages mapped. The contents never
// change: a populate is a simulated write fault, not a write.
//
// Safety and cost:
// - The caller keeps the Buffer reachable until populateDone() has passed its job's
//   number (populate.ts does), so the mapping is never unmapped (mmap-io unmaps in the
//   Buffer's finalizer) under the thread.
// - A page past the file's end (someone truncated it) makes madvise fail with EFAULT; a
//   populate never raises SIGBUS. Counted, nothing else.
// - One thread, one job at a time, PAGES_PER_CALL pages per madvise: populating holds the
//   process's mmap lock for reading, and V8 (heap growth, code protection) needs it for
//   writing: short calls keep those waits short. (libuv's pool ran 4 jobs at once on the
//   same files: 28 µs a page in contention, and the event loop waited on the lock.)
// - populate() on the event loop fills a slot of a fixed ring (one producer, one
//   consumer: no lock) and posts a semaphore: no allocation, never a wait. A mutex there
//   made the event loop wait for the helper whenever the helper, woken and holding it,
//   waited for a CPU: 386 µs a call on average on a loaded host. A full ring refuses the
//   job (0): the writer then takes its own faults.
// - EINVAL/ENOSYS (a kernel without MADV_POPULATE_WRITE) turns populate() into a no-op
//   returning 0 from then on.

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <node_api.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define RING 1024
#define PAGES_PER_CALL 4

typedef struct {
  char *addr;
  size_t length;
} Job;

// The ring: written only by the event loop's thread (populate), read only by the helper.
static Job ring[RING];
static _Atomic uint64_t queued = 0; // jobs put in the ring (the producer's count)
static _Atomic uint64_t done = 0;   // jobs finished (the consumer's count; frees their slots)
static _Atomic uint64_t failed = 0;
static _Atomic int last_errno = 0;
static _Atomic bool unsupported = false;
static sem_t pending; // one post per job queued
static bool started = false;
static bool start_failed = false;

static void *run(void *arg) {
  (void)arg;
#ifdef SCHED_IDLE
  // Below every other thread: woken by a post, it must not take the CPU from the event
  // loop that posted (it did: each post cost the loop a wait of 0.4-1.7 ms on a loaded
  // host). On an idle CPU it runs at once; when none is idle the writer takes its own faults.
  struct sched_param idle = {0};
  pthread_setschedparam(pthread_self(), SCHED_IDLE, &idle);
#endif
  uint64_t next = 0;
  for (;;) {
    while (sem_wait(&pending) != 0) {
      // EINTR: wait again
    }
    Job job = ring[next % RING]; // published by the release store of `queued`, seen through sem_wait
    next++;
    int err = 0;
#ifdef __linux__
    long page = sysconf(_SC_PAGESIZE);
    size_t step = (size_t)(page > 0 ? page : 4096) * PAGES_PER_CALL;
    for (size_t at = 0; at < job.length && err == 0; at += step) {
      size_t n = job.length - at < step ? job.length - at : step;
      int r;
      do {
        r = madvise(job.addr + at, n, MADV_POPULATE_WRITE);
      } while (r != 0 && (errno == EINTR || errno == EAGAIN));
      if (r != 0) err = errno;
    }
#else
    err = ENOSYS;
#endif
    if (err != 0) {
      atomic_fetch_add(&failed, 1);
      atomic_store(&last_errno, err);
      if (err == EINVAL || err == ENOSYS) atomic_store(&unsupported, true);
    }
    atomic_fetch_add_explicit(&done, 1, memory_order_release);
  }
  return NULL;
}

static napi_value number(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static napi_value Populate(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  void *data;
  size_t len;
  double offset, length;
  if (argc != 3 || napi_get_buffer_info(env, argv[0], &data, &len) != napi_ok || napi_get_value_double(env, argv[1], &offset) != napi_ok ||
      napi_get_value_double(env, argv[2], &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "populate(buffer, offset, length): a Buffer and two numbers");
    return NULL;
  }
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) page = 4096;
  // Whole pages of the mapping (mmap returns page-aligned memory): offset rounded down,
  // the end rounded up and kept inside the mapping's whole pages.
  if (atomic_load(&unsupported) || !(offset >= 0 && length > 0 && offset < (double)len) || ((uintptr_t)data % (uintptr_t)page) != 0)
    return number(env, 0);
  size_t from = (size_t)offset / (size_t)page * (size_t)page;
  double end_d = offset + length;
  size_t end = end_d >= (double)len ? len : (size_t)end_d;
  end = (end + (size_t)page - 1) / (size_t)page * (size_t)page;
  if (end > len) end = len / (size_t)page * (size_t)page;
  if (end <= from) return number(env, 0);
  // Only the event loop's thread of the process that loaded the addon first calls this
  // (the recorder's writers); a worker thread never does (one producer).
  if (!started && !start_failed) {
    pthread_t t;
    pthread_attr_t attr;
    if (sem_init(&pending, 0, 0) != 0) start_failed = true;
    else {
      pthread_attr_init(&attr);
      pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
      if (pthread_create(&t, &attr, run, NULL) == 0) started = true;
      else start_failed = true;
      pthread_attr_destroy(&attr);
    }
  }
  uint64_t q = atomic_load_explicit(&queued, memory_order_relaxed);
  if (!started || q - atomic_load_explicit(&done, memory_order_acquire) >= RING) return number(env, 0);
  ring[q % RING] = (Job){(char *)data + from, end - from};
  atomic_store_explicit(&queued, q + 1, memory_order_release);
  sem_post(&pending);
  return number(env, (double)(q + 1));
}

static napi_value PopulateDone(napi_env env, napi_callback_info info) {
  (void)info;
  return number(env, (double)atomic_load_explicit(&done, memory_order_acquire));
}

static napi_value PopulateStatus(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value o, v;
  napi_create_object(env, &o);
  napi_set_named_property(env, o, "done", number(env, (double)atomic_load(&done)));
  napi_set_named_property(env, o, "failed", number(env, (double)atomic_load(&failed)));
  napi_set_named_property(env, o, "lastErrno", number(env, atomic_load(&last_errno)));
  napi_get_boolean(env, atomic_load(&unsupported), &v);
  napi_set_named_property(env, o, "unsupported", v);
  return o;
}

void tickrec_populate_init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "populate", NAPI_AUTO_LENGTH, Populate, NULL, &fn);
  napi_set_named_property(env, exports, "populate", fn);
  napi_create_function(env, "populateDone", NAPI_AUTO_LENGTH, PopulateDone, NULL, &fn);
  napi_set_named_property(env, exports, "populateDone", fn);
  napi_create_function(env, "populateStatus", NAPI_AUTO_LENGTH, PopulateStatus, NULL, &fn);
  napi_set_named_property(env, exports, "populateStatus", fn);
}
