// allocate(fd, offset, length[, keepSize]): reserves the blocks of [offset, offset + length)
// of a file with fallocate(2), mode 0: the file grows to cover the range, the new bytes
// read as zeros, and a full disk or a file-size limit fails here (ENOSPC, EDQUOT, EFBIG)
// instead of as a SIGBUS when a mapping first writes the page. Nothing is written: the
// blocks are unwritten extents until the data itself is written back.
// With keepSize true the mode is FALLOC_FL_KEEP_SIZE: the blocks are reserved past the
// end and the file's length does NOT change (EXTEND AHEAD: a helper thread must never
// lengthen a file that someone else cut meanwhile; src/store/extender.ts). The export
// `keepSize: true` says this build knows the flag (an older build ignores a 4th argument).
//
// Errors are thrown like Node's fs errors: code "ENOSPC", errno -28, syscall
// "fallocate". EOPNOTSUPP (a file system without fallocate) and ENOSYS (not Linux) tell
// the caller to write zeros instead (src/store/fallocate.ts).

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <node_api.h>
#include <uv.h>

/** Throws errno `err` like Node's fs errors (code, errno, syscall); shared with syncfs.c. */
napi_value tickrec_throw_errno(napi_env env, int err, const char *call) {
  const char *name = uv_err_name(-err);
  char message[256];
  snprintf(message, sizeof message, "%s: %s, %s", name, strerror(err), call);
  napi_value code, msg, error, errno_value, syscall;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, -err, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_create_string_utf8(env, call, NAPI_AUTO_LENGTH, &syscall);
  napi_set_named_property(env, error, "syscall", syscall);
  napi_throw(env, error);
  return NULL;
}

/** A whole number 0 <= v <= 2^53 from argument i, or a TypeError naming it. */
static int whole(napi_env env, napi_value v, const char *what, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0 && d <= 9007199254740992.0) || d != (double)(int64_t)d) {
    char message[128];
    snprintf(message, sizeof message, "allocate: %s must be a whole number >= 0", what);
    napi_throw_type_error(env, NULL, message);
    return 0;
  }
  *out = (int64_t)d;
  return 1;
}

static napi_value Allocate(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc != 3 && argc != 4) {
    napi_throw_type_error(env, NULL, "allocate(fd, offset, length[, keepSize]): three or four arguments");
    return NULL;
  }
  int64_t fd, offset, length;
  if (!whole(env, argv[0], "fd", &fd) || !whole(env, argv[1], "offset", &offset) || !whole(env, argv[2], "length", &length)) return NULL;
  bool keep_size = false;
  if (argc == 4 && napi_get_value_bool(env, argv[3], &keep_size) != napi_ok) {
    napi_throw_type_error(env, NULL, "allocate: keepSize must be a boolean");
    return NULL;
  }
  if (length == 0) return NULL;
#ifdef __linux__
  int r;
  do {
    r = fallocate((int)fd, keep_size ? FALLOC_FL_KEEP_SIZE : 0, (off_t)offset, (off_t)length);
  } while (r != 0 && errno == EINTR);
  if (r != 0) return tickrec_throw_errno(env, errno, "fallocate");
#else
  (void)fd;
  (void)offset;
  (void)keep_size;
  return tickrec_throw_errno(env, ENOSYS, "fallocate");
#endif
  return NULL;
}

void tickrec_fault_init(napi_env env, napi_value exports);    // fault.c
void tickrec_populate_init(napi_env env, napi_value exports); // populate.c
void tickrec_syncfs_init(napi_env env, napi_value exports);   // syncfs.c

NAPI_MODULE_INIT() {
  napi_value fn;
  tickrec_fault_init(env, exports);
  tickrec_populate_init(env, exports);
  tickrec_syncfs_init(env, exports);
  napi_create_function(env, "allocate", NAPI_AUTO_LENGTH, Allocate, NULL, &fn);
  napi_set_named_property(env, exports, "allocate", fn);
  napi_value yes;
  napi_get_boolean(env, true, &yes);
  napi_set_named_property(env, exports, "keepSize", yes);
  return exports;
}
