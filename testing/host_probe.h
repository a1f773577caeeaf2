// Whether this process can do what a privileged test, fuzzer or benchmark needs, found out
// by trying. Independent of the library's own probe (sandbox/start/userns_probe.h), which is
// code under test: a broken probe must fail the suites, not turn them into skips. Each
// returns why not, or "" when it can.
#pragma once

#include <string>

namespace sbx::testing {

// Root: euid 0.
std::string RootUnavailableReason();

// Root of the initial user namespace, where every id exists (/proc/self/uid_map is
// "0 0 4294967295").
std::string InitialRootUnavailableReason();

// A child of this process can unshare(CLONE_NEWUSER).
std::string UserNamespaceUnavailableReason();

// This process can make a tmpfs mounted nowhere (fsopen, fsmount: CAP_SYS_ADMIN, Linux 5.2+),
// as `sbx run` does for a fresh root where it may.
std::string PrivateTmpfsUnavailableReason();

}  // namespace sbx::testing
