// syncfs(fd): commits every cached write of the file system that holds fd (data, inodes,
// names) to stable storage, in one call: syncfs(2). The recorder's stop uses it when
// thousands of new files still wait for their fsync (CREATE DURABILITY's flush,
// src/store/durable.ts): one call instead of one fsync per file and folder.
// Errors are thrown like Node's fs errors: code "EIO", errno -5, syscall "syncfs";
// ENOSYS where syncfs(2) is missing (not Linux): the caller fsyncs file by file.

#define _GNU_SOURCE
#include <errno.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

napi_value tickrec_throw_errno(napi_env env, int err, const char *call); // fs.c

static napi_value SyncFs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int32_t fd;
  if (argc != 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "syncfs(fd): one file descriptor, a whole number >= 0");
    return NULL;
  }
#ifdef __linux__
  if (syncfs(fd) != 0) return tickrec_throw_errno(env, errno, "syncfs");
#else
  return tickrec_throw_errno(env, ENOSYS, "syncfs");
#endif
  return NULL;
}

void tickrec_syncfs_init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "syncfs", NAPI_AUTO_LENGTH, SyncFs, NULL, &fn);
  napi_set_named_property(env, exports, "syncfs", fn);
}
