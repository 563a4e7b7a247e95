# tickrec's file-system addon: the one call Node does not offer, fallocate(2). Built by `npm install` (package.json "install").
{
  "targets": [
    {
      "target_name": "tickrec_fs",
      "sources": ["src/fs.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=c11", "-O2", "-fvisibility=hidden", "-Wall", "-Wextra"]
    }
  ]
}
