#include "sandbox/rules/identity.h"

#include "sandbox/rules/id_map.h"
#include "sandbox/rules/id_map_kernel_rules.h"

namespace sbx {
namespace {

constexpr uint32_t kSingleSandboxUid = 1000;
constexpr uint32_t kSingleSandboxGid = 100;

std::optional<Identity> Fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return std::nullopt;
}

}  // namespace

std::optional<BuildUser> AutoBuildUser(uint32_t slot, bool uid_range, std::string* error) {
  uint64_t uid = uint64_t{kAutoBuildUserFirstUid} + uint64_t{slot} * kAutoIdsPerSlot;
  uint32_t count = uid_range ? kAutoIdsPerSlot : 1;
  // The kernel refuses a range whose end reaches 2^32-1 (spec 23), so stop before it.
  if (uid + count > 0xFFFFFFFFull) {
    if (error) *error = "auto build user slot " + std::to_string(slot) + " is past the last id";
    return std::nullopt;
  }
  BuildUser user;
  user.uid = static_cast<uint32_t>(uid);
  user.gid = user.uid;  // gid = uid when sandboxing
  user.count = count;
  return user;
}

std::optional<Identity> ComputeIdentity(const IdentityInput& input, std::string* error) {
  Identity id;
  if (input.build_user) {
    if (input.build_user->count == 0) return Fail(error, "build user id count must be at least 1");
    id.host_uid = input.build_user->uid;
    id.host_gid = input.build_user->gid;
    id.count = input.build_user->count;
  } else {
    id.host_uid = input.caller_uid;
    id.host_gid = input.caller_gid;
    id.count = 1;
  }

  if (!input.use_user_namespace) {
    // Spec 3, 19: without a user namespace only a build user can be sandboxed, as itself.
    if (!input.build_user) {
      return Fail(error,
                  "cannot perform a sandboxed build because user namespaces are not available "
                  "and there is no build user");
    }
    if (id.count != 1) {
      return Fail(error, "an id count above 1 (uid-range) needs a user namespace");
    }
    id.sandbox_uid = id.host_uid;
    id.sandbox_gid = id.host_gid;
    return id;
  }

  bool single = id.count == 1;
  id.sandbox_uid = single ? kSingleSandboxUid : 0;
  id.sandbox_gid = single ? kSingleSandboxGid : 0;
  id.setgroups_denied = single;  // count is 1 whenever there is no build user

  IdMap uid_map = {{id.sandbox_uid, id.host_uid, id.count}};
  IdMap gid_map = {{id.sandbox_gid, id.host_gid, id.count}};
  id.writes.reserve(3);
  id.writes.push_back({UsernsFile::kUidMap, FormatIdMap(uid_map)});
  if (id.setgroups_denied) id.writes.push_back({UsernsFile::kSetgroups, "deny"});
  id.writes.push_back({UsernsFile::kGidMap, FormatIdMap(gid_map)});

  // Refuse up front what the kernel would refuse at write time (privileged writer: the
  // unprivileged case maps the caller's own ids, which the kernel always allows).
  MapWriter writer;
  for (const ProcWrite& write : id.writes) {
    if (write.file == UsernsFile::kSetgroups) continue;
    MapKind kind = write.file == UsernsFile::kUidMap ? MapKind::kUid : MapKind::kGid;
    MapVerdict verdict = CheckMapWrite(write.content, kind, writer);
    if (!verdict.accepted) {
      return Fail(error, std::string("the kernel would reject ") + UsernsFileName(write.file) +
                             " \"" + write.content + "\": " + verdict.reason);
    }
  }
  return id;
}

std::string RefuseRunningAsPrivilegedUser(const Identity& identity, bool use_user_namespace,
                                          uint32_t caller_uid) {
  if (use_user_namespace) return "";
  if (identity.sandbox_uid == 0 || identity.sandbox_gid == 0) {
    return "without a user namespace the build user cannot be root (uid or gid 0)";
  }
  if (identity.sandbox_uid == caller_uid) {
    return "without a user namespace the build user cannot be the caller itself (uid " +
           std::to_string(caller_uid) + ")";
  }
  return "";
}

}  // namespace sbx
