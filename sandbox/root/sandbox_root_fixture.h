// What the sandbox_root_test cases share (sandbox_root_test.cc, sandbox_root_refusal_test.cc,
// remove_tree_test.cc): a scratch dir holding a root and an "outside" dir that planted
// symlinks point into, never at system paths; the builder's steps of a build dir; a child
// to run a case in, and a private mount namespace for it.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <functional>
#include <map>
#include <string>

#include "sandbox/rules/builder_steps.h"
#include "testing/scratch_dir.h"

namespace sbx::root_test {

// A tree as testing::TreeOf lists it.
using Entries = std::map<std::string, std::string>;

inline const std::string kBuildDir = "/build";

// The builder's steps of a root with this build dir (no /dev/kvm; /dev/ptmx linked).
BuilderSteps StepsIn(const std::string& build_dir);

// The mode of path itself (a symlink's own), 0 when it is not there.
mode_t ModeOf(const std::string& path);

// Runs `body` in a forked child and returns its exit code, or 128+N for death by signal N
// (an alarm of 20 s ends a child that hangs).
int ExitCodeOf(const std::function<int()>& body);

// In a forked child: a private mount namespace (as root alone; else inside a user namespace
// of its own with this user's ids mapped), with / made private so that nothing propagates
// back. False where neither is possible.
bool EnterPrivateMountNamespace();

// A scratch dir with an empty root_ (mode 0755) and an outside_ dir holding one file.
class SandboxRootTest : public ::testing::Test {
 protected:
  void SetUp() override;
  static Entries OutsideAsCreated() { return {{"target", "file:outside's own\n"}}; }

  testing::ScratchDir scratch_{"sbx-root"};
  std::string root_, outside_;
};

}  // namespace sbx::root_test
