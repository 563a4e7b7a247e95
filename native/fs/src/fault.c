// FAULT GUARD: a SIGBUS inside one of tickrec's own file mappings becomes a recorded
// fault instead of the death of the process.
//
// Why: a shared file mapping raises SIGBUS when a page past the file's end is touched;
// that happens when someone else truncates a live file (truncate -s 0 FILE). Node has no
// way to catch it, so one damaged instrument file killed the recorder and every reader.
//
// How (the technique the JVM uses for MappedByteBuffer, in a simpler form):
//   - JS registers the address range of each mapping it makes (register(buffer) -> id);
//     the range is dropped when the Buffer is collected (a finalizer on the Buffer) or
//     by unregister(id);
//   - the SIGBUS handler (SA_SIGINFO | SA_ONSTACK) looks the faulting address up in the
//     table; inside a registered range it maps an anonymous zero page over the faulting
//     page (mmap MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS: async-signal-safe), counts the
//     fault on the range and in a global counter, and returns: the instruction is retried
//     and reads zeros (or writes into memory that belongs to no file);
//   - any other SIGBUS goes to the handler that was there before (or the default
//     action, with the signal raised again): a genuine bug still kills the process.
//   - JS reads the global counter (one Int32Array load, no call, no syscall) at cheap
//     points: after each append, after each reader poll. When it moved, faults() names
//     the ranges that faulted, and the file is treated as truncated (E_TRUNCATED).
// The table is lock-free: slots are claimed and released with atomic operations; the
// handler only reads them. Signal-safety: the handler calls mmap and sigaction only.

#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <node_api.h>

#define SLOTS 65536

typedef struct {
  _Atomic uintptr_t start; // 0 = free
  _Atomic uintptr_t end;
  _Atomic uint32_t faults;
} Range;

static Range table[SLOTS];
static _Atomic uint32_t high_water; // slots [0, high_water) may be in use
static int32_t *counters;           // [0]: faults in all; lives in an ArrayBuffer JS holds
static napi_ref counters_ref;
static struct sigaction previous;
static int installed;
static long page_size;

static void on_sigbus(int sig, siginfo_t *info, void *ctx) {
  uintptr_t a = (uintptr_t)info->si_addr;
  uint32_t n = atomic_load(&high_water);
  for (uint32_t i = 0; i < n; i++) {
    uintptr_t s = atomic_load(&table[i].start);
    if (s == 0 || a < s || a >= atomic_load(&table[i].end)) continue;
    void *page = (void *)(a & ~(uintptr_t)(page_size - 1));
    if (mmap(page, (size_t)page_size, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED) break;
    atomic_fetch_add(&table[i].faults, 1);
    if (counters) __atomic_fetch_add(&counters[0], 1, __ATOMIC_SEQ_CST);
    return; // the access is retried on the zero page
  }
  // Not ours: whoever handled SIGBUS before, else the default action (the process dies
  // with SIGBUS, as it would have without tickrec).
  if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction) {
    previous.sa_sigaction(sig, info, ctx);
    return;
  }
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN && previous.sa_handler != NULL) {
    previous.sa_handler(sig);
    return;
  }
  signal(SIGBUS, SIG_DFL);
  // returning re-executes the faulting access, which faults again under SIG_DFL
}

static int install(void) {
  if (installed) return 1;
  page_size = sysconf(_SC_PAGESIZE);
  // An alternate stack, so that a fault on a thread whose stack is exhausted still runs the handler.
  stack_t ss;
  memset(&ss, 0, sizeof ss);
  if (sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_DISABLE)) {
    ss.ss_size = 64 * 1024;
    ss.ss_sp = malloc(ss.ss_size);
    ss.ss_flags = 0;
    if (ss.ss_sp) sigaltstack(&ss, NULL);
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGBUS, &sa, &previous) != 0) return 0;
  installed = 1;
  return 1;
}

static void release_slot(uint32_t id) {
  if (id >= SLOTS) return;
  atomic_store(&table[id].start, 0);
}

static void on_buffer_gone(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  release_slot((uint32_t)(uintptr_t)data - 1);
}

/** register(buffer) -> id: guards the buffer's memory; released when the buffer is collected. */
static napi_value Register(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *data;
  size_t len;
  if (argc != 1 || napi_get_buffer_info(env, argv[0], &data, &len) != napi_ok || len == 0) {
    napi_throw_type_error(env, NULL, "register(buffer): a non-empty Buffer");
    return NULL;
  }
  if (!install()) {
    napi_throw_error(env, "E_IO", "register: sigaction(SIGBUS) failed");
    return NULL;
  }
  uintptr_t start = (uintptr_t)data;
  for (uint32_t i = 0; i < SLOTS; i++) {
    uintptr_t expected = 0;
    // claim a free slot: end first is not visible until start is set (the handler checks start)
    if (atomic_load(&table[i].start) != 0) continue;
    atomic_store(&table[i].end, start + len);
    atomic_store(&table[i].faults, 0);
    if (!atomic_compare_exchange_strong(&table[i].start, &expected, start)) continue;
    uint32_t hw = atomic_load(&high_water);
    while (hw < i + 1 && !atomic_compare_exchange_weak(&high_water, &hw, i + 1)) {
    }
    napi_add_finalizer(env, argv[0], (void *)(uintptr_t)(i + 1), on_buffer_gone, NULL, NULL);
    napi_value id;
    napi_create_uint32(env, i, &id);
    return id;
  }
  napi_throw_error(env, "E_IO", "register: more than 65536 guarded mappings");
  return NULL;
}

/** unregister(id): the range is no longer guarded (the mapping is about to be dropped). */
static napi_value Unregister(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t id;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc == 1 && napi_get_value_uint32(env, argv[0], &id) == napi_ok) release_slot(id);
  return NULL;
}

/** faultsOf(id) -> faults counted on that range since it was registered. */
static napi_value FaultsOf(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t id = SLOTS;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc == 1) napi_get_value_uint32(env, argv[0], &id);
  napi_value out;
  napi_create_uint32(env, id < SLOTS ? atomic_load(&table[id].faults) : 0, &out);
  return out;
}

/** counters() -> the ArrayBuffer whose Int32 [0] counts every fault turned into a zero page. */
static napi_value Counters(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value ab;
  if (counters_ref) {
    napi_get_reference_value(env, counters_ref, &ab);
    return ab;
  }
  void *data;
  napi_create_arraybuffer(env, 16, &data, &ab);
  memset(data, 0, 16);
  napi_create_reference(env, ab, 1, &counters_ref); // never released: the handler writes it
  counters = (int32_t *)data;
  return ab;
}

void tickrec_fault_init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "register", NAPI_AUTO_LENGTH, Register, NULL, &fn);
  napi_set_named_property(env, exports, "register", fn);
  napi_create_function(env, "unregister", NAPI_AUTO_LENGTH, Unregister, NULL, &fn);
  napi_set_named_property(env, exports, "unregister", fn);
  napi_create_function(env, "faultsOf", NAPI_AUTO_LENGTH, FaultsOf, NULL, &fn);
  napi_set_named_property(env, exports, "faultsOf", fn);
  napi_create_function(env, "counters", NAPI_AUTO_LENGTH, Counters, NULL, &fn);
  napi_set_named_property(env, exports, "counters", fn);
}
