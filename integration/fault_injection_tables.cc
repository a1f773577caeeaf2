#include "integration/fault_injection_tables.h"

#include <unistd.h>

#include <regex>

#include "sandbox/start/pidfd_namespace.h"

namespace sbx::faults {

std::vector<Rule> Rules(StartMode mode, bool launcher) {
  const bool lix = mode == StartMode::kLix;
  // The lix helper's errors come back through its pipe, within the parent's context.
  const std::string helper =
      lix ? "^unable to start build process: helper exited with status 1: " : "^";
  return {
      {"^caller pipe2 #1$", Fails("^creating the release pipe$")},
      {"^caller pipe2 #2$", Fails("^creating the sendPid pipe$")},
      {"^caller fork #1$", Fails("^forking the helper$")},
      {"^helper prctl 1 #1$", Fails(helper + "setting the helper's death signal$")},
      {"^(caller|helper) setgroups #1$", Fails(helper + "setgroups failed$")},
      {"^caller clone #1$", Fails(launcher ? "^starting the launcher$" : "^cloning the builder$")},
      {"^helper clone #1$", Fails(helper + "cloning the builder$")},
      {"^(caller|helper) clone3 #1$", Fails("^clone3 of the builder$")},
      {"^helper write pipe:\\S+ \\d+\\| #1$", Fails(helper + "sending the builder's pid$")},
      {"^caller waitpid #1$",
       Fails(lix ? "^waiting for the helper$" : "^waiting for the launcher$")},
      {"^caller read pipe:\\S+ #\\d+$", Fails("^reading the builder's pid from the helper$")},
      {"^caller (openat|write) /proc/\\d+/uid_map\\b.*$", Fails("^writing uid_map \"")},
      {"^caller (openat|write) /proc/\\d+/setgroups\\b.*$", Fails("^writing setgroups \"")},
      {"^caller (openat|write) /proc/\\d+/gid_map\\b.*$", Fails("^writing gid_map \"")},
      {"^caller pidfd_open #1$", Fails("^opening a pidfd of the builder$")},
      {"^caller ioctl " + std::to_string(kPidfdGetMountNamespace) + " #1$",
       Fails("^getting sandbox mount namespace$")},
      {"^caller ioctl " + std::to_string(kPidfdGetUserNamespace) + " #\\d$",
       Fails("^getting sandbox user namespace$")},
      // Kernels before 6.11 (no namespace ioctls on a pidfd): the /proc/PID/ns files.
      {"^caller openat /proc/\\d+/ns/mnt #\\d+$", Fails("^getting sandbox mount namespace$")},
      {"^caller openat /proc/\\d+/ns/user #\\d+$", Fails("^getting sandbox user namespace$")},
      {"^caller write pipe:\\S+ 1\\| #\\d$", Fails("^releasing the child")},
      {"^caller openat /\\S+/sbx-faults-root-\\w+ #\\d+$",
       Fails("^opening the sandbox root for /\\S+/etc$")},
      {"^caller openat2? etc #\\d+$", Fails("^opening /\\S+/etc \\(must be a directory")},
      {"^caller openat2? \\.(passwd|group)\\.sbx-\\d+ #\\d$", Fails("^creating /\\S+/etc/\\.")},
      {"^caller write /\\S+/etc/\\.(passwd|group)\\.sbx-\\d+ .* #\\d$",
       Fails("^writing /\\S+/etc/\\.")},
      {"^caller renameat2 1 \\.passwd\\.sbx-\\d+ passwd #\\d$",
       Fails("^renaming /\\S+/etc/\\.passwd\\.sbx-\\d+ to passwd$")},
      {"^caller renameat2 1 \\.group\\.sbx-\\d+ group #\\d$",
       Fails("^renaming /\\S+/etc/\\.group\\.sbx-\\d+ to group$")},
      {"^caller openat /\\S+/sbx-faults-\\d+ #\\d+$", Fails("^opening cgroup ")},
      {"^caller (openat|write) /\\S+/cgroup\\.procs\\b.*$",
       Fails("^writing \\d+ to \\S+/cgroup.procs$")},
  };
}

const Rule* RuleFor(const std::vector<Rule>& rules, const std::string& call) {
  for (const Rule& rule : rules) {
    if (std::regex_search(call, std::regex(rule.call))) return &rule;
  }
  return nullptr;
}

std::vector<Variant> Variants(StartMode mode, const StartConfig& config, bool launcher) {
  const bool lix = mode == StartMode::kLix;
  const std::string helper =
      lix ? "^unable to start build process: helper exited with status 1: " : "^";
  // The builder's clone(): the lix helper's, the launcher's, else the caller's fallback.
  const std::string builder_clone = lix || launcher ? "^helper clone #1$" : "^caller clone #1$";
  std::vector<Variant> v;
  for (int error : {ENOSYS, E2BIG, EINVAL}) {
    v.push_back({"^(caller|helper) clone3 #1$", error,
                 Harmless("clone3 or CLONE_INTO_CGROUP unknown to the kernel: clone()"),
                 "^(caller|helper) clone #1$", ""});
  }
  // Spec 12: reported with the errno, no retry (clone3's EINVAL is its fallback above).
  v.push_back(
      {"^(caller|helper) clone3 #1$", ENOSPC, Fails("^clone3 of the builder$"), "", " clone"});
  for (int error : {EINVAL, ENOSPC}) {
    v.push_back({builder_clone, error, Fails(helper + "cloning the builder$"), "", " clone"});
  }
  v.push_back({"^(caller|helper) setgroups #1$", EPERM,
               PlanStart(config).require_drop_supplementary_groups
                   ? Fails(helper + "setgroups failed\\. Set the require-drop-supplementary")
                   : Harmless("spec 10: EPERM is fatal only when the drop is required"),
               "", ""});
  for (const char* map : {"uid_map", "gid_map"}) {
    const std::string call = std::string("^caller write /proc/\\d+/") + map + " ";
    if (geteuid() == 0) {
      v.push_back(
          {call, EPERM, Fails(std::string("^writing ") + map + " \"[^\"]*\"$"), "", "waitpid"});
    } else {
      v.push_back({call, EPERM, Harmless("denied to us: newuidmap/newgidmap write it"),
                   "^caller waitpid", ""});
    }
  }
  for (int error : {ENOTTY, EINVAL}) {
    v.push_back({"^caller ioctl " + std::to_string(kPidfdGetMountNamespace) + " #1$", error,
                 Harmless("a pidfd without namespace ioctls (before 6.11): /proc/PID/ns"),
                 "^caller openat /proc/\\d+/ns/mnt", ""});
  }
  v.push_back({"^caller pidfd_open #1$", ENOSYS,
               Harmless("no pidfd_open (before 5.3): a Child without a pidfd"), "", ""});
  // EINTR where the call blocks or may be cut short: retried, the same call next.
  v.push_back({"^caller waitpid #1$", EINTR, Harmless("an interrupted wait: retried"),
               "^caller waitpid #2$", ""});
  if (lix) {  // the pid line
    v.push_back({"^caller read pipe:\\S+ #1$", EINTR, Harmless("an interrupted read: retried"),
                 "^caller read pipe:\\S+ #2$", ""});
    v.push_back({"^helper write pipe:\\S+ \\d+\\| #1$", EINTR,
                 Harmless("an interrupted write of the pid line: retried"),
                 "^helper write pipe:\\S+ \\d+\\| #2$", ""});
  }
  v.push_back({"^caller write /\\S+/etc/\\.passwd\\.sbx-", EINTR,
               Harmless("an interrupted write of passwd: retried"),
               "^caller write /\\S+/etc/\\.passwd\\.sbx-", ""});
  // A kernel without openat2 (before 5.6): etc and the staged files, one component at a time.
  v.push_back({"^caller openat2 etc #\\d+$", ENOSYS,
               Harmless("no openat2 (before 5.6): etc opened component by component"),
               "^caller openat etc #\\d+$", ""});
  v.push_back({"^caller openat2 \\.passwd\\.sbx-\\d+ #\\d$", ENOSYS,
               Harmless("no openat2 (before 5.6): the staged passwd created by openat"),
               "^caller openat \\.passwd\\.sbx-\\d+ #\\d$", ""});
  v.push_back({"^caller renameat2 1 \\.passwd\\.sbx-\\d+ passwd", EINVAL,
               Harmless("a file system without rename flags: the old passwd linked, then a plain "
                        "rename"),
               "^caller linkat passwd ", ""});
  return v;
}

}  // namespace sbx::faults
