#include "sandbox/rules/start_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>

#include "sandbox/base/sys_error.h"

namespace sbx {
namespace {

using ::testing::HasSubstr;

HostFacts Host(bool userns_work, uint32_t uid) {
  return {.user_namespaces_work = userns_work,
          .user_namespaces_error =
              "cannot perform a sandboxed build because user namespaces "
              "are not available (probe said no)",
          .uid = uid,
          .gid = uid + 1};
}

StartConfig WithBuildUser() {
  StartConfig config;
  config.build_user = BuildUser{.uid = 30001, .gid = 30000, .count = 1};
  return config;
}

TEST(PlanStart, SeedFlagsAndMapsWithAUserNamespace) {
  StartPlan plan = PlanStart(WithBuildUser(), Host(true, 0));
  EXPECT_TRUE(plan.use_user_namespace);
  EXPECT_EQ(plan.clone_flags, CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC |
                                  CLONE_NEWUTS | CLONE_NEWNET);
  ASSERT_EQ(plan.identity.writes.size(), 3u);
  EXPECT_EQ(plan.identity.writes[0].content, "1000 30001 1");
  EXPECT_EQ(plan.identity.writes[2].content, "100 30000 1");
  EXPECT_THAT(plan.etc_files.passwd, HasSubstr("nixbld:x:1000:100:Nix build user:/build:"));
}

// Spec 30: Nix's build environment, the build dir as every temporary directory.
TEST(PlanStart, BuilderEnvironmentIsNixs) {
  StartConfig config = WithBuildUser();
  config.build_dir = "/tmp/nix-build-x";
  EXPECT_THAT(
      PlanStart(config, Host(true, 0)).builder.environment,
      ::testing::UnorderedElementsAre(
          "PATH=/usr/bin:/bin:/usr/sbin:/sbin", "HOME=/homeless-shelter", "NIX_STORE=/nix/store",
          "NIX_BUILD_CORES=1", "NIX_LOG_FD=2", "TERM=xterm-256color",
          "NIX_BUILD_TOP=/tmp/nix-build-x", "TMPDIR=/tmp/nix-build-x", "TMP=/tmp/nix-build-x",
          "TEMP=/tmp/nix-build-x", "TEMPDIR=/tmp/nix-build-x"));
}

// As Nix: /dev/kvm where the caller may use it (its kvm system feature, on by default),
// /dev/ptmx where the host has /dev/pts/ptmx, the builder's cores in NIX_BUILD_CORES.
TEST(PlanStart, DevicesAndCoresFollowTheHost) {
  HostFacts host = Host(true, 0);
  host.kvm_usable = true;
  host.pts_ptmx = false;
  host.cores = 8;
  StartConfig config = WithBuildUser();
  BuilderSteps steps = PlanStart(config, host).builder;
  EXPECT_TRUE(steps.bind_kvm);
  EXPECT_FALSE(steps.link_ptmx);
  EXPECT_THAT(steps.environment, ::testing::Contains("NIX_BUILD_CORES=8"));
  config.kvm = false;  // sbx run --no-kvm
  EXPECT_FALSE(PlanStart(config, host).builder.bind_kvm);
  host.kvm_usable = false;
  config.kvm = true;
  EXPECT_FALSE(PlanStart(config, host).builder.bind_kvm);
}

// The build dir is a host directory, except where asked for a tmpfs or where an
// unprivileged caller's builder runs as ids it could not chown to nor clean up after.
TEST(PlanStart, BuildDirOnDiskUnlessTheCallerCouldNotRemoveIt) {
  StartConfig config = WithBuildUser();
  EXPECT_FALSE(PlanStart(config, Host(true, 0)).builder.build_dir_tmpfs);
  StartConfig rootless;
  EXPECT_FALSE(PlanStart(rootless, Host(true, 1000)).builder.build_dir_tmpfs);
  config.build_dir_tmpfs = true;
  EXPECT_TRUE(PlanStart(config, Host(true, 0)).builder.build_dir_tmpfs);
  StartConfig subordinate_range;
  subordinate_range.build_user = BuildUser{.uid = 100000, .gid = 100000, .count = 65536};
  EXPECT_TRUE(PlanStart(subordinate_range, Host(true, 1000)).builder.build_dir_tmpfs);
}

// Spec 29: the builder becomes the sandbox user, whose alone the build dir is, and brings up
// its loopback only where it has a network of its own.
TEST(PlanStart, BuilderStepsFollowTheIdentityAndTheNetwork) {
  StartConfig config = WithBuildUser();
  config.build_dir = "/build/x";
  config.command = {"make", "all"};
  BuilderSteps steps = PlanStart(config, Host(true, 0)).builder;
  EXPECT_EQ(steps.uid, 1000u);
  EXPECT_EQ(steps.gid, 100u);
  EXPECT_EQ(steps.build_dir, "/build/x");
  EXPECT_EQ(steps.build_dir_tmpfs_options, "mode=0700,uid=1000,gid=100");
  EXPECT_TRUE(steps.bring_up_loopback);
  EXPECT_THAT(steps.argv, ::testing::ElementsAre("make", "all"));

  config.build_user->count = 65536;  // uid-range: root of the namespace
  config.private_network = false;
  steps = PlanStart(config, Host(true, 0)).builder;
  EXPECT_EQ(steps.uid, 0u);
  EXPECT_EQ(steps.build_dir_tmpfs_options, "mode=0700,uid=0,gid=0");
  EXPECT_FALSE(steps.bring_up_loopback);

  config.build_user->count = 1;  // no user namespace: the build user itself
  steps = PlanStart(config, Host(false, 0)).builder;
  EXPECT_EQ(steps.uid, 30001u);
  EXPECT_EQ(steps.gid, 30000u);
}

TEST(PlanStart, SharedNetworkHasNoNetNamespace) {
  StartConfig config = WithBuildUser();
  config.private_network = false;
  EXPECT_EQ(PlanStart(config, Host(true, 0)).clone_flags & CLONE_NEWNET, 0);
}

// A caller that prepares during the start: in fast mode its work and the files come after
// the clone, and the builder makes the network namespace (and only that) itself meanwhile.
// Lix's order stays the seed's.
TEST(PlanStart, APreparingCallerHasTheBuilderMakeItsNetworkNamespaceInFastModeOnly) {
  StartConfig config = WithBuildUser();
  config.caller_prepares_during_start = true;
  const int seed_flags = PlanStart(WithBuildUser(), Host(true, 0)).clone_flags;
  config.mode = StartMode::kFast;
  StartPlan plan = PlanStart(config, Host(true, 0));
  EXPECT_TRUE(plan.prepare_after_clone);
  EXPECT_FALSE(plan.etc_files_before_clone());
  EXPECT_EQ(plan.builder_unshares, CLONE_NEWNET);
  EXPECT_EQ(plan.clone_flags, seed_flags & ~CLONE_NEWNET);
  config.private_network = false;
  plan = PlanStart(config, Host(true, 0));
  EXPECT_TRUE(plan.prepare_after_clone);
  EXPECT_EQ(plan.builder_unshares, 0) << "no network namespace to make";
  config.private_network = true;
  config.mode = StartMode::kLix;
  plan = PlanStart(config, Host(true, 0));
  EXPECT_FALSE(plan.prepare_after_clone);
  EXPECT_EQ(plan.builder_unshares, 0);
  EXPECT_EQ(plan.clone_flags, seed_flags);
}

// Spec 3: root with a build user goes on without a user namespace, as the build user.
TEST(PlanStart, RootWithABuildUserFallsBackWithoutUserNamespaces) {
  StartPlan plan = PlanStart(WithBuildUser(), Host(false, 0));
  EXPECT_FALSE(plan.use_user_namespace);
  EXPECT_EQ(plan.clone_flags & CLONE_NEWUSER, 0);
  EXPECT_TRUE(plan.identity.writes.empty());
  EXPECT_EQ(plan.identity.sandbox_uid, 30001u);
  EXPECT_EQ(plan.identity.sandbox_gid, 30000u);
}

TEST(PlanStart, AnyoneElseIsRefusedWithoutUserNamespaces) {
  try {
    PlanStart(WithBuildUser(), Host(false, 1000));
    FAIL() << "planned without user namespaces for a non-root caller";
  } catch (const SysError& e) {
    EXPECT_THAT(e.what(), HasSubstr("user namespaces are not available (probe said no)"));
    EXPECT_EQ(e.error(), 0);
  }
  EXPECT_THROW(PlanStart(StartConfig{}, Host(false, 0)), SysError) << "root without a build user";
}

TEST(PlanStart, RefusesWhatCannotBeWritten) {
  StartConfig config = WithBuildUser();
  config.build_dir = "/bu:ild";
  EXPECT_THROW(PlanStart(config, Host(true, 0)), SysError);
  config = WithBuildUser();
  config.build_user->count = 0;
  EXPECT_THROW(PlanStart(config, Host(true, 0)), SysError);
}

TEST(PlanStart, CarriesTheCallersChoices) {
  StartConfig config = WithBuildUser();
  config.mode = StartMode::kFast;
  config.sandbox_root = "/some/root";
  config.cgroup = "/sys/fs/cgroup/x";
  config.require_drop_supplementary_groups = false;
  config.force_clone_fallback = true;
  StartPlan plan = PlanStart(config, Host(true, 0));
  EXPECT_EQ(plan.mode, StartMode::kFast);
  EXPECT_EQ(plan.sandbox_root, "/some/root");
  EXPECT_EQ(plan.cgroup, "/sys/fs/cgroup/x");
  EXPECT_FALSE(plan.require_drop_supplementary_groups);
  EXPECT_TRUE(plan.force_clone_fallback);
}

// Spec 10's default is the caller's: root must drop its supplementary groups, others may not
// be able to.
TEST(PlanStart, SetgroupsRequiredOfRootByDefault) {
  EXPECT_TRUE(PlanStart(WithBuildUser(), Host(true, 0)).require_drop_supplementary_groups);
  EXPECT_FALSE(PlanStart(StartConfig{}, Host(true, 1000)).require_drop_supplementary_groups);
}

// A builder that becomes the sandbox ids without a user namespace becomes host ids: root, or
// the caller itself, is refused by the plan, before anything exists.
TEST(PlanStart, RefusesABuilderThatWouldKeepPrivileges) {
  StartConfig config;
  config.use_user_namespace = false;
  config.build_user = BuildUser{.uid = 0, .gid = 0, .count = 1};
  EXPECT_NO_THROW(PlanStart(config, Host(true, 0)));  // its own child main: the caller's call
  config.builder_switches_ids = true;
  EXPECT_THROW(PlanStart(config, Host(true, 0)), SysError);
  config.build_user = BuildUser{.uid = 30001, .gid = 30000, .count = 1};
  EXPECT_NO_THROW(PlanStart(config, Host(true, 0)));
}

}  // namespace
}  // namespace sbx
