// The two ways of starting the sandbox (start_child.h), named here so the argument parser
// can name them without depending on the start itself.
#pragma once

namespace sbx {

enum class StartMode {
  kLix,   // what the seed does: fork a helper that clones with CLONE_PARENT (start_lix.cc)
  kFast,  // same observable result without copying the parent: a vfork-style launcher,
          // clone3 with CLONE_INTO_CGROUP where the kernel has it (start_fast.cc)
};

}  // namespace sbx
