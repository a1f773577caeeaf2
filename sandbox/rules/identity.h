// Who the builder is, inside and outside the sandbox (spec 19-22), and the exact bytes of the
// id-map files the parent writes, in the order it writes them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/rules/id_map_kernel_rules.h"

namespace sbx {

struct BuildUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t count = 1;  // ids owned from uid (and gid) on; 65536 for uid-range

  friend bool operator==(const BuildUser&, const BuildUser&) = default;
};

struct IdentityInput {
  bool use_user_namespace = true;
  std::optional<BuildUser> build_user;  // none: the caller itself (unprivileged daemon)
  uint32_t caller_uid = 0;              // real uid/gid of the caller
  uint32_t caller_gid = 0;
};

// One write of the parent to /proc/PID/<file>, each in a single write(2).
struct ProcWrite {
  UsernsFile file;      // uid_map, setgroups or gid_map (UsernsFileName names it)
  std::string content;  // exact bytes, no trailing newline

  friend bool operator==(const ProcWrite&, const ProcWrite&) = default;
};

struct Identity {
  uint32_t sandbox_uid = 0;
  uint32_t sandbox_gid = 0;
  uint32_t host_uid = 0;
  uint32_t host_gid = 0;
  uint32_t count = 1;
  bool setgroups_denied = false;  // "deny" is written to setgroups
  std::vector<ProcWrite> writes;  // in write order; empty without a user namespace
};

// Spec 21: auto-allocated build users.
inline constexpr uint32_t kAutoBuildUserFirstUid = 872415232;  // 0x34000000
inline constexpr uint32_t kAutoIdsPerSlot = 65536;

// The build user of slot `slot` (gid = uid; count 65536 with uid-range, else 1). nullopt with
// *error set when the slot's ids would pass the last valid id (4294967294).
std::optional<BuildUser> AutoBuildUser(uint32_t slot, bool uid_range, std::string* error);

// Spec 19-22. nullopt with *error set when the input cannot be sandboxed (no user namespace
// and no build user, a count of 0, ids the kernel would refuse to map).
std::optional<Identity> ComputeIdentity(const IdentityInput& input, std::string* error);

// For a builder that switches to the sandbox ids (`sbx run`, `sbx files`): without a user
// namespace those are real host ids, and root, or the caller itself, would keep privileges
// over the host (or over the caller). The reason to refuse, or "" when it is safe.
std::string RefuseRunningAsPrivilegedUser(const Identity& identity, bool use_user_namespace,
                                          uint32_t caller_uid);

}  // namespace sbx
