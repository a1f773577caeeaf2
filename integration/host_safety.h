// What the host_safety_test cases share (host_safety_test.cc: roots that would write on the
// host; host_safety_builder_test.cc: what the builder gets; host_safety_signals_test.cc:
// nothing left behind): `sbx run` in each mode, and a fake host for the destructive cases,
// a private mount namespace whose / is a scratch tmpfs with copies of the host's files, so
// that a regression damages the copy, never the machine.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "testing/util.h"

namespace sbx::host_safety {

// Runs body in a forked child inside a private mount namespace; returns what body returned
// ("" for success, else what went wrong), or why the child could not run it.
std::string InPrivateMountNamespace(const std::function<std::string()>& body);

// "WHAT: strerror(errno)".
std::string Errno(const std::string& what);

// pivot_root fails where / is the initial ramfs (a VM guest running from its initramfs).
inline constexpr char kNoPivotRoot[] = "pivot_root into a fake host";

// In a private mount namespace: makes a scratch tmpfs the process's / (the host's system dirs
// bound read-only, /dev and /proc, and copies of /etc/passwd, /etc/group and the loader's
// cache in its own /etc), except in a VM guest (SBX_IN_VM, set by vm/init.sh): the guest is
// itself disposable, and its / (the initramfs) cannot be pivoted away from. "" on success.
std::string IntoFakeHostUnlessInDisposableGuest();

class HostSafetyTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string why = testing::UserNamespaceUnavailableReason();
    if (!why.empty()) GTEST_SKIP() << why;
  }

  // sbx run --mode MODE OPTIONS -- COMMAND
  std::vector<std::string> RunArgs(std::vector<std::string> options,
                                   const std::vector<std::string>& command) {
    options.insert(options.begin(), {"run", "--mode", GetParam()});
    options.push_back("--");
    options.insert(options.end(), command.begin(), command.end());
    return options;
  }

  // `--root ROOT` refused with `why`, and the (fake) host's /etc/passwd and /etc/group
  // unchanged, no /build made. As root, in a fake host; otherwise on the real one (where a
  // regression could write nothing anyway).
  void ExpectRootRefused(const std::string& given_root, const std::string& why,
                         const std::vector<std::string>& extra = {});
};

}  // namespace sbx::host_safety
