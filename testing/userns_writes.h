// Writes to uid_map, gid_map and setgroups of a fresh user namespace on the running kernel,
// as a chosen writer, and reports each write's errno and what the three files read
// afterwards: the kernel side of sandbox/rules/id_map_kernel_agreement_test and of the
// id_map_kernel fuzzer, which both hold id_map_kernel_rules to the kernel.
//
// Nothing here copies the caller's memory, so the cost of a run does not grow with the
// caller's size (a fuzzer's is large): the writer is a CLONE_VM|CLONE_VFORK child on a small
// stack of its own (the caller waits while it runs), and the namespace's process, when the
// writer stands outside it, is a CLONE_VM|CLONE_NEWUSER grandchild that only waits to be
// killed. Both run raw syscalls only, from this file, which is built without sanitizers or
// coverage. Not thread-safe: one run at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "sandbox/rules/id_map_kernel_rules.h"

namespace sbx::testing {

enum class WriterKind {
  kRoot,                // root of the initial namespace, all capabilities, writes from there
  kOwnerOutside,        // euid/egid of the writer, no capabilities; creates the namespace
  kOwnerInside,         //   ... and writes /proc/self/* from inside it
  kCaplessRootOutside,  // euid/egid 0 with every capability dropped
  kCaplessRootInside,
};
inline constexpr int kWriterKinds = 5;

struct Writer {
  WriterKind kind = WriterKind::kRoot;
  uint32_t uid = 0;  // effective ids of the writer
  uint32_t gid = 0;
};

inline constexpr size_t kMaxSteps = 6;

struct Step {
  UsernsFile file = UsernsFile::kUidMap;
  std::string_view bytes;  // written in one write(2)
};

// Who writes, and which writes in which order.
struct Scenario {
  Writer writer;
  Step steps[kMaxSteps];
  size_t step_count = 0;
};

struct KernelOutcome {
  // Why the scenario could not be set up (a harness problem, not a verdict), or "".
  std::string setup_error;
  int step_errno[kMaxSteps] = {};  // 0: the write(2) succeeded, else its errno
  std::string files[3];            // uid_map, gid_map, setgroups, indexed by UsernsFile
};

// Why scenarios of these writers cannot run here (not root of the initial user namespace,
// or one of them cannot create a user namespace), or "" when they can.
std::string KernelUnavailableReason(std::initializer_list<WriterKind> writers);

KernelOutcome RunOnKernel(const Scenario& scenario);

const char* WriterName(WriterKind kind);

}  // namespace sbx::testing
