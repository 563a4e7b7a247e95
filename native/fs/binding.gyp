# tickrec's file-system addon: the calls Node does not offer: fallocate(2), the SIGBUS guard of tickrec's mappings (src/fault.c), populating a mapping's pages ahead of the writer (src/populate.c), and syncfs(2) (src/syncfs.c). Built by `npm install` (package.json "install").
{
  "targets": [
    {
      "target_name": "tickrec_fs",
      "sources": ["src/fs.c", "src/fault.c", "src/populate.c", "src/syncfs.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=c11", "-O2", "-fvisibility=hidden", "-Wall", "-Wextra", "-pthread"],
      "ldflags": ["-pthread"]
    }
  ]
}
