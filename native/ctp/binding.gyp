# tickrec CTP market-data addon: compiled against the headers of a user-supplied SDK (CTP_SDK_DIR); the SDK library is dlopen'ed at run time, never linked. gen/sdk_info.h (written by scripts/build-ctp.mjs) records which SDK.
{
  "variables": {
    "ctp_sdk_dir%": "<!(node -p \"process.env.CTP_SDK_DIR || ''\")"
  },
  "targets": [
    {
      "target_name": "tickrec_ctp",
      "sources": ["src/binding.cc", "src/capture.cc", "src/foreign_output.cc"],
      "include_dirs": [
        "<!(node -p \"process.env.TICKREC_NAPI_INCLUDE || require('node-addon-api').include_dir\")",
        "<(ctp_sdk_dir)",
        "gen"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["-std=c++17", "-O2", "-fvisibility=hidden", "-Wno-unused-parameter"],
      "cflags_cc!": ["-std=gnu++17", "-std=gnu++20"],
      "libraries": ["-ldl", "-lpthread"]
    }
  ]
}
