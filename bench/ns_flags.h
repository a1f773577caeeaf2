// The namespace flag sets every benchmark is run with: each flag alone and the seed's set
// (spec 11). One table, so the per-flag results of all implementations line up.
#pragma once

#include <sched.h>

#include <array>
#include <string_view>

#include "sandbox/rules/start_plan.h"

namespace sbx_bench {

struct FlagSet {
  std::string_view name;  // used in benchmark names and in the docs' table
  int flags;              // CLONE_NEW* bits
};

// The seed's set with a private network (every sandboxed build but fixed-output ones).
inline constexpr int kSeedFlags = sbx::SandboxCloneFlags(/*user_namespace=*/true,
                                                         /*private_network=*/true);

inline constexpr std::array<FlagSet, 9> kFlagSets = {{
    {"none", 0},
    {"user", CLONE_NEWUSER},
    {"pid", CLONE_NEWPID},
    {"ns", CLONE_NEWNS},
    {"ipc", CLONE_NEWIPC},
    {"uts", CLONE_NEWUTS},
    {"net", CLONE_NEWNET},
    {"seed_no_net", kSeedFlags & ~CLONE_NEWNET},  // fixed-output builds share the network
    {"seed", kSeedFlags},
}};

}  // namespace sbx_bench
