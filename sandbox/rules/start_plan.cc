#include "sandbox/rules/start_plan.h"

#include "sandbox/base/sys_error.h"

namespace sbx {
namespace {

BuilderSteps PlanBuilderSteps(const StartConfig& config, const Identity& identity,
                              const HostFacts& host) {
  BuilderSteps steps;
  steps.bring_up_loopback = config.private_network;
  steps.build_dir = config.build_dir;
  // An unprivileged caller whose builder runs as other host ids (a subordinate range) could
  // neither chown a host build dir to them nor remove what they leave in it.
  steps.build_dir_tmpfs =
      config.build_dir_tmpfs || (host.uid != 0 && identity.host_uid != host.uid);
  steps.bind_kvm = config.kvm && host.kvm_usable;
  steps.link_ptmx = host.pts_ptmx;
  steps.uid = identity.sandbox_uid;
  steps.gid = identity.sandbox_gid;
  steps.build_dir_tmpfs_options =
      "mode=0700,uid=" + std::to_string(steps.uid) + ",gid=" + std::to_string(steps.gid);
  steps.argv = config.command;
  // Nix sets these for every builder (its settings, not the derivation's attributes).
  steps.environment = {"PATH=/usr/bin:/bin:/usr/sbin:/sbin",
                       "HOME=/homeless-shelter",
                       "NIX_STORE=/nix/store",
                       "NIX_BUILD_CORES=" + std::to_string(host.cores),
                       "NIX_LOG_FD=2",
                       "TERM=xterm-256color",
                       "NIX_BUILD_TOP=" + config.build_dir};
  for (const char* name : {"TMPDIR", "TMP", "TEMP", "TEMPDIR"}) {
    steps.environment.push_back(std::string(name) + "=" + config.build_dir);
  }
  return steps;
}

}  // namespace

StartPlan PlanStart(const StartConfig& config, const HostFacts& host) {
  StartPlan plan;
  plan.mode = config.mode;
  plan.use_user_namespace = config.use_user_namespace;
  if (plan.use_user_namespace && !host.user_namespaces_work) {
    if (!config.build_user || host.uid != 0) throw SysError::Refused(host.user_namespaces_error);
    plan.use_user_namespace = false;
  }
  std::string error;
  std::optional<Identity> identity = ComputeIdentity({.use_user_namespace = plan.use_user_namespace,
                                                      .build_user = config.build_user,
                                                      .caller_uid = host.uid,
                                                      .caller_gid = host.gid},
                                                     &error);
  if (!identity) throw SysError::Refused(error);
  if (config.builder_switches_ids) {
    error = RefuseRunningAsPrivilegedUser(*identity, plan.use_user_namespace, host.uid);
    if (!error.empty()) throw SysError::Refused(error);
  }
  plan.identity = *identity;
  std::optional<EtcFiles> etc =
      GenerateEtcFiles(identity->sandbox_uid, identity->sandbox_gid, config.build_dir, &error);
  if (!etc) throw SysError::Refused(error);
  plan.etc_files = *etc;
  plan.clone_flags = SandboxCloneFlags(plan.use_user_namespace, config.private_network);
  plan.sandbox_root = config.sandbox_root;
  plan.cgroup = config.cgroup;
  plan.require_drop_supplementary_groups =
      config.require_drop_supplementary_groups.value_or(host.uid == 0);
  plan.force_clone_fallback = config.force_clone_fallback;
  if (config.mode == StartMode::kFast && config.caller_prepares_during_start) {
    plan.prepare_after_clone = true;
    plan.builder_unshares = plan.clone_flags & CLONE_NEWNET;
    plan.clone_flags &= ~CLONE_NEWNET;
  }
  plan.builder = PlanBuilderSteps(config, plan.identity, host);
  return plan;
}

}  // namespace sbx
