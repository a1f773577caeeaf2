"""Forwards the rules_cc API to Bazel's native C++ rules.

Debian's bazel-rules-cc package does not load in Bazel 4.2.3, and nothing can be fetched,
so BUILD files load from here exactly as they would from the real rules_cc.
"""

cc_library = native.cc_library
cc_binary = native.cc_binary
cc_test = native.cc_test
cc_import = native.cc_import
cc_toolchain = native.cc_toolchain
cc_toolchain_suite = native.cc_toolchain_suite
cc_proto_library = native.cc_proto_library
objc_library = native.objc_library
