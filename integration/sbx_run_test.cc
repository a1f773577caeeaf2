// What a command run by `sbx run` observes (spec 29, the contract in `sbx run --help`), in
// both modes. Runs as root and rootless on the host and in the VM (integration/BUILD.bazel).
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "testing/sbx_process.h"
#include "testing/util.h"

namespace sbx {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::Outcome;

class SbxRunTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string why = testing::UserNamespaceUnavailableReason();
    if (!why.empty()) GTEST_SKIP() << why;
  }

 public:
  // sbx run --mode MODE OPTIONS -- sh -c SCRIPT
  Outcome Run(const std::string& script, std::vector<std::string> options = {}) {
    std::vector<std::string> args = {"run", "--mode", GetParam()};
    args.insert(args.end(), options.begin(), options.end());
    for (const char* word : {"--", "/bin/sh", "-c"}) args.push_back(word);
    args.push_back(script);
    return testing::Sbx(args);
  }

 protected:
  std::vector<std::string> UidRangeOptions() {
    std::optional<BuildUser> user = testing::MappableBuildUser(65536);
    if (!user) return {};
    return {"--build-uid", std::to_string(user->uid),
            "--build-gid", std::to_string(user->gid),
            "--uid-count", "65536"};
  }
};

// `id` as coreutils prints it (spec 25). BusyBox's id (the VM guest's) leaves out
// "groups=" when there is no supplementary group, so there /proc/self/status shows that.
void ExpectId(SbxRunTest* test, const std::vector<std::string>& options, const std::string& user,
              const std::string& gid) {
  Outcome o = test->Run(
      "id; id --help 2>&1 | grep -q BusyBox && echo busybox; "
      "grep ^Groups: /proc/self/status",
      options);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  const std::string ids = "uid=" + user + " gid=" + gid;
  const std::string first_line = o.out.substr(0, o.out.find('\n') + 1);
  if (o.out.find("busybox\n") != std::string::npos && first_line == ids + "\n") {
    // BusyBox: no "groups=" exactly when there is no supplementary group, checked below.
    EXPECT_THAT(o.out, ::testing::ContainsRegex("Groups:[ \t]*\n"));
  } else {
    EXPECT_EQ(first_line, ids + " groups=" + gid + "\n");
  }
  // Dropped by the helper as root; a rootless caller cannot drop any (setgroups needs
  // CAP_SETGID outside) unless it has none.
  if (getuid() == 0 || getgroups(0, nullptr) == 0) {
    EXPECT_THAT(o.out, ::testing::ContainsRegex("Groups:[ \t]*\n"))
        << "supplementary groups were not dropped";
  }
}

TEST_P(SbxRunTest, IdIsNixbldWithOneId) { ExpectId(this, {}, "1000(nixbld)", "100(nixbld)"); }

// Spec 22's first row: a build user with one id (root: any; rootless: the first id of the
// caller's /etc/subuid range) is nixbld inside, and the maps name it outside.
TEST_P(SbxRunTest, BuildUserWithOneId) {
  std::optional<BuildUser> user = testing::MappableBuildUser(1);
  if (!user) GTEST_SKIP() << "needs root, or a range in /etc/subuid and /etc/subgid";
  if (getuid() == 0) user = BuildUser{.uid = 30001, .gid = 30000, .count = 1};
  const std::vector<std::string> options = {"--build-uid", std::to_string(user->uid), "--build-gid",
                                            std::to_string(user->gid)};
  if (getuid() == 0 || getgroups(0, nullptr) == 0) {
    ExpectId(this, options, "1000(nixbld)", "100(nixbld)");
  } else {
    // A rootless caller cannot drop its supplementary groups; unmapped, they show as nogroup.
    Outcome id = Run("id", options);
    EXPECT_THAT(id.out, ::testing::StartsWith("uid=1000(nixbld) gid=100(nixbld)")) << id.err;
  }
  Outcome o = Run("cat /proc/self/uid_map /proc/self/setgroups /proc/self/gid_map", options);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(testing::NormalizeMap(o.out),
            "1000 " + std::to_string(user->uid) + " 1\n100 " + std::to_string(user->gid) + " 1");
  EXPECT_THAT(o.out, HasSubstr("deny\n"));
}

// Spec 21: an auto-allocated build user without uid-range.
// Spec 21: slot 1's ids (872415232 + 65536) as nixbld 1000/100, or all 65536 as root.
TEST_P(SbxRunTest, AutoAllocatedBuildUser) {
  if (getuid() != 0) GTEST_SKIP() << "mapping uid 872480768 needs root";
  ExpectId(this, {"--auto-build-user", "1"}, "1000(nixbld)", "100(nixbld)");
  Outcome o = Run("cat /proc/self/uid_map /proc/self/gid_map", {"--auto-build-user", "1"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(testing::NormalizeMap(o.out), "1000 872480768 1\n100 872480768 1");
  o = Run("cat /proc/self/uid_map", {"--auto-build-user", "1", "--uid-range"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(testing::NormalizeMap(o.out), "0 872480768 65536");
}

// Spec 30: the build dir is the working directory, mode 0700, owned by the sandbox user,
// and writable by it; the root is not writable.
TEST_P(SbxRunTest, BuildDirIsPrivateToTheSandboxUser) {
  std::vector<std::vector<std::string>> option_sets = {{}};
  if (std::optional<BuildUser> user = testing::MappableBuildUser(1)) {
    if (getuid() == 0) user = BuildUser{.uid = 30001, .gid = 30000, .count = 1};
    option_sets.push_back(
        {"--build-uid", std::to_string(user->uid), "--build-gid", std::to_string(user->gid)});
  }
  for (const auto& options : option_sets) {
    Outcome o =
        Run("stat -c '%a %u %g' .; touch out && echo wrote; touch /x 2>/dev/null && "
            "echo rootwrite; true",
            options);
    EXPECT_EQ(o.exit_code, 0) << o.err;
    EXPECT_THAT(o.out, ::testing::StartsWith("700 1000 100\nwrote\n"))
        << ::testing::PrintToString(options);
    // The root belongs to the host's root (or the caller): a build user cannot write it.
    if (!options.empty()) EXPECT_THAT(o.out, ::testing::Not(HasSubstr("rootwrite")));
  }
}

TEST_P(SbxRunTest, BuildDirIsPrivateToRootOfAUidRange) {
  std::vector<std::string> range = UidRangeOptions();
  if (range.empty()) GTEST_SKIP() << "needs root, or 65536 ids in /etc/subuid and /etc/subgid";
  Outcome o = Run("stat -c '%a %u %g' .; touch out && echo wrote", range);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, "700 0 0\nwrote\n");
}

TEST_P(SbxRunTest, IdIsRootWithAUidRange) {
  std::vector<std::string> options = UidRangeOptions();
  if (options.empty()) GTEST_SKIP() << "needs root, or 65536 ids in /etc/subuid and /etc/subgid";
  ExpectId(this, options, "0(root)", "0(root)");
}

// Spec 19: without a user namespace the builder is the build user itself (root only).
TEST_P(SbxRunTest, WithoutUserNamespaceIsTheBuildUser) {
  if (getuid() != 0) GTEST_SKIP() << "running as another user without a user namespace needs root";
  const std::vector<std::string> options = {"--no-user-namespace", "--build-uid", "30001",
                                            "--build-gid", "30000"};
  ExpectId(this, options, "30001(nixbld)", "30000(nixbld)");
  Outcome o = Run("cat /proc/self/uid_map; echo $$", options);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(testing::NormalizeMap(o.out), "0 0 4294967295") << "the host's user namespace";
  EXPECT_THAT(o.out, ::testing::EndsWith("\n1\n"));
}

TEST_P(SbxRunTest, SeesTheSpecsMapsAndSetgroups) {
  Outcome o = Run("cat /proc/self/uid_map /proc/self/setgroups /proc/self/gid_map");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(testing::NormalizeMap(o.out),
            "1000 " + std::to_string(getuid()) + " 1\n100 " + std::to_string(getgid()) + " 1");
  EXPECT_THAT(o.out, HasSubstr("deny\n"));
}

TEST_P(SbxRunTest, SeesARangesMapsAndSetgroupsAllowed) {
  std::vector<std::string> options = UidRangeOptions();
  if (options.empty()) GTEST_SKIP() << "needs root, or 65536 ids in /etc/subuid and /etc/subgid";
  Outcome o = Run("cat /proc/self/uid_map /proc/self/setgroups", options);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("allow\n"));
  EXPECT_EQ(testing::NormalizeMap(o.out), "0 " + options[1] + " 65536");
}

TEST_P(SbxRunTest, IsPidOneOnLocalhost) {
  Outcome o = Run("echo $$; hostname; cat /proc/sys/kernel/domainname; pwd");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, "1\nlocalhost\n(none)\n/build\n");
}

// Interface names in /proc/net/dev (after the two header lines).
std::set<std::string> Interfaces(const std::string& proc_net_dev) {
  std::set<std::string> names;
  std::istringstream lines(proc_net_dev);
  std::string line;
  for (int i = 0; std::getline(lines, line); ++i) {
    if (i < 2 || line.find(':') == std::string::npos) continue;
    std::string name = line.substr(0, line.find(':'));
    name.erase(0, name.find_first_not_of(' '));
    names.insert(name);
  }
  return names;
}

TEST_P(SbxRunTest, PrivateNetworkHasOnlyLoopbackAndItIsUp) {
  Outcome o = Run("cat /proc/net/dev");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(Interfaces(o.out), std::set<std::string>{"lo"});
  // Without a tool (the sandbox has no /sys): the kernel adds 127.0.0.1's local route only
  // once lo is up, and lists it in /proc/net/fib_trie.
  o = Run("cat /proc/net/fib_trie");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, ::testing::ContainsRegex("127\\.0\\.0\\.1\n +/32 host LOCAL"))
      << "lo is down: " << o.out;
}

TEST_P(SbxRunTest, SharedNetworkSeesTheHostsInterfaces) {
  Outcome o = Run("cat /proc/net/dev", {"--share-network"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(Interfaces(o.out), Interfaces(testing::ReadFile("/proc/net/dev")));
}

TEST_P(SbxRunTest, EtcIsReadOnly) {
  Outcome o =
      Run("echo x >> /etc/passwd && echo wrote; touch /etc/new && echo created; "
          "cat /etc/passwd /etc/group");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, ::testing::Not(HasSubstr("wrote")));
  EXPECT_THAT(o.out, ::testing::Not(HasSubstr("created")));
  EXPECT_THAT(o.out, HasSubstr("nixbld:x:1000:100:Nix build user:/build:/noshell\n"));
  EXPECT_THAT(o.out, HasSubstr("nixbld:!:100:\n"));
}

TEST_P(SbxRunTest, ExitStatusComesThrough) { EXPECT_EQ(Run("exit 7").exit_code, 7); }

// pid 1 ignores signals sent from inside its namespace, so the signal comes from outside, as
// it would from a daemon killing a build.
TEST_P(SbxRunTest, DeathBySignalIs128PlusN) {
  const std::string path = testing::SbxPath();
  pid_t sbx = fork();
  ASSERT_GE(sbx, 0);
  if (sbx == 0) {
    execl(path.c_str(), "sbx", "run", "--mode", GetParam().c_str(), "--", "/bin/sleep", "30",
          nullptr);
    _exit(99);
  }
  // The builder is the child of sbx that has exec'd sleep (in lix mode the helper comes first).
  const std::string children =
      "/proc/" + std::to_string(sbx) + "/task/" + std::to_string(sbx) + "/children";
  pid_t builder = -1;
  for (int i = 0; i < 1000 && builder <= 0; ++i) {
    usleep(10000);
    std::istringstream pids(testing::ReadFile(children));
    for (pid_t pid; pids >> pid;) {
      if (testing::ReadFile("/proc/" + std::to_string(pid) + "/comm") == "sleep\n") builder = pid;
    }
  }
  ASSERT_GT(builder, 0) << "sbx started no builder running sleep";
  kill(builder, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(sbx, &status, 0), sbx);
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 128 + 9);
}

// sbx's stderr without what a sanitizer runtime adds (under --config=asan the child, which
// runs on a stack of its own, makes ASan print a three-line warning).
std::string WithoutSanitizerNotes(const std::string& err) {
  std::istringstream lines(err);
  std::string kept;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("==", 0) == 0 || line.rfind("False positive error reports", 0) == 0 ||
        line.rfind("For details see https://github.com/google/sanitizers", 0) == 0) {
      continue;
    }
    kept += line + "\n";
  }
  return kept;
}

// The exit codes of env(1) and chroot(1): 127 for a command that is not there, 126 for one
// that cannot be run, 125 for a sandbox that could not be set up.
TEST_P(SbxRunTest, CommandNotFoundIs127) {
  Outcome o = testing::Sbx({"run", "--mode", GetParam(), "--", "/no/such/program"});
  EXPECT_EQ(o.exit_code, 127);
  EXPECT_EQ(o.out, "");
  EXPECT_THAT(WithoutSanitizerNotes(o.err),
              MatchesRegex("sbx: error: in the sandbox: exec /no/such/program: "
                           "No such file or directory\n"));
}

TEST_P(SbxRunTest, CommandThatCannotRunIs126) {
  Outcome o = testing::Sbx({"run", "--mode", GetParam(), "--", "/etc/passwd"});
  EXPECT_EQ(o.exit_code, 126);
  EXPECT_THAT(WithoutSanitizerNotes(o.err),
              MatchesRegex("sbx: error: in the sandbox: exec /etc/passwd: Permission denied\n"));
  o = testing::Sbx({"run", "--mode", GetParam(), "--", "no-such-command-anywhere"});
  EXPECT_EQ(o.exit_code, 127);
}

TEST_P(SbxRunTest, SetupFailureIs125) {
  // A build dir the builder cannot mount its tmpfs on: a file where the directory would be.
  char root[] = "/tmp/sbx-given-root-XXXXXX";
  ASSERT_NE(mkdtemp(root), nullptr);
  ASSERT_EQ(close(open((std::string(root) + "/build").c_str(), O_CREAT | O_WRONLY, 0644)), 0);
  Outcome o = testing::Sbx({"run", "--mode", GetParam(), "--root", root, "--", "/bin/true"});
  EXPECT_EQ(o.exit_code, 125);
  EXPECT_THAT(o.err, HasSubstr("sbx: error: "));
  ASSERT_EQ(system(("rm -rf " + std::string(root)).c_str()), 0);
}

TEST_P(SbxRunTest, TimingIsOneJsonLine) {
  Outcome o = testing::Sbx({"run", "--mode", GetParam(), "--timing", "--", "/bin/true"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(WithoutSanitizerNotes(o.err),
              MatchesRegex("\\{\"setup\":[0-9]+,\"clone\":[0-9]+,\"maps\":[0-9]+,"
                           "\"files\":[0-9]+,\"nsfds\":[0-9]+,\"cgroup\":[0-9]+,"
                           "\"release\":[0-9]+,\"handoff\":[0-9]+,\"clone_to_release\":[0-9]+,"
                           "\"call_to_release\":[0-9]+,\"paths\":\\{\"clone\":\"clone3?\","
                           "\"mount\":\"(mount_setattr|remount)\"\\}\\}\n"));
  // The call-to-release headline holds the clone-to-release one and everything before it.
  long setup = 0, files = 0, clone_to_release = 0, call_to_release = 0;
  ASSERT_EQ(std::sscanf(WithoutSanitizerNotes(o.err).c_str(),
                        "{\"setup\":%ld,\"clone\":%*d,\"maps\":%*d,\"files\":%ld,\"nsfds\":%*d,"
                        "\"cgroup\":%*d,\"release\":%*d,\"handoff\":%*d,\"clone_to_release\":%ld,"
                        "\"call_to_release\":%ld",
                        &setup, &files, &clone_to_release, &call_to_release),
            4);
  EXPECT_GE(call_to_release, clone_to_release + setup);
  // Fast mode writes the files before the clone (off clone-to-release); lix after the maps.
  if (std::string(GetParam()) == "fast") EXPECT_GE(call_to_release, clone_to_release + files);
  // Forced fallbacks are taken and reported.
  setenv("SBX_FORCE_FALLBACK", "clone,mount", 1);
  o = testing::Sbx({"run", "--mode", GetParam(), "--timing", "--", "/bin/true"});
  unsetenv("SBX_FORCE_FALLBACK");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.err, HasSubstr("\"paths\":{\"clone\":\"clone\",\"mount\":\"remount\"}"));
}

// Spec 2-3: where user namespaces are forbidden (a nesting limit of 0, set inside one of our
// own), sbx says so, with the probe's findings, before starting anything.
TEST_P(SbxRunTest, NoUserNamespacesIsAClearError) {
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    FILE* limit = nullptr;
    if (unshare(CLONE_NEWUSER) != 0 ||
        !(limit = fopen("/proc/sys/user/max_user_namespaces", "w")) || fputs("0", limit) < 0 ||
        fclose(limit) != 0) {
      _exit(90);
    }
    dup2(out[1], 2);
    const std::string path = testing::SbxPath();
    execl(path.c_str(), "sbx", "run", "--mode", GetParam().c_str(), "--", "/bin/true", nullptr);
    _exit(91);
  }
  close(out[1]);
  const std::string err = testing::ReadAll(out[0]);
  close(out[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 90) GTEST_SKIP() << "cannot limit user namespaces here";
  EXPECT_EQ(WEXITSTATUS(status), 125);
  EXPECT_THAT(err, HasSubstr("sbx: error: cannot perform a sandboxed build because user "
                             "namespaces are not available ("));
  EXPECT_THAT(err, HasSubstr("user.max_user_namespaces: 0"));
}

// A static BusyBox to populate a root of our own: Debian's busybox-static on the host, the
// guest's own in the VM.
std::string StaticBusybox() {
  for (const char* path : {"/usr/bin/busybox", "/bin/busybox"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

// A build dir is made beneath the root, never beside it.
TEST_P(SbxRunTest, BuildDirCannotLeaveTheRoot) {
  char root[] = "/tmp/sbx-given-root-XXXXXX";
  ASSERT_NE(mkdtemp(root), nullptr);
  const std::string outside = std::string(root) + "-outside";
  Outcome o = testing::Sbx({"run", "--mode", GetParam(), "--root", root, "--build-dir",
                            "/../" + outside.substr(outside.rfind('/') + 1), "--", "/bin/true"});
  EXPECT_EQ(o.exit_code, 125);
  EXPECT_THAT(o.err, HasSubstr("\"..\" component"));
  EXPECT_NE(access(outside.c_str(), F_OK), 0) << "made a directory outside the root";
  ASSERT_EQ(system(("rm -rf " + std::string(root) + " " + outside).c_str()), 0);
}

TEST_P(SbxRunTest, GivenRootIsUsedAndKept) {
  const std::string busybox = StaticBusybox();
  if (busybox.empty()) GTEST_SKIP() << "no static busybox to put in a root";
  char root[] = "/tmp/sbx-given-root-XXXXXX";
  ASSERT_NE(mkdtemp(root), nullptr);
  chmod(root, 0755);
  const std::string dir = root;
  ASSERT_EQ(mkdir((dir + "/bin").c_str(), 0755), 0);
  {
    std::ifstream in(busybox, std::ios::binary);
    std::ofstream out(dir + "/bin/busybox", std::ios::binary);
    out << in.rdbuf();
  }
  chmod((dir + "/bin/busybox").c_str(), 0755);

  Outcome o = testing::Sbx(
      {"run", "--mode", GetParam(), "--root", dir, "--", "/bin/busybox", "cat", "/etc/group"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, "root:x:0:\nnixbld:!:100:\nnogroup:x:65534:\n");
  EXPECT_EQ(testing::ReadFile(dir + "/etc/group"), o.out) << "the root is the user's: kept";

  // An etc that is a symlink is refused, and what it points to is left alone.
  ASSERT_EQ(system(("rm -rf " + dir + "/etc && mkdir " + dir + "/elsewhere && ln -s elsewhere " +
                    dir + "/etc")
                       .c_str()),
            0);
  o = testing::Sbx({"run", "--mode", GetParam(), "--root", dir, "--", "/bin/busybox", "true"});
  EXPECT_EQ(o.exit_code, 125);
  EXPECT_THAT(o.err, HasSubstr("not a symlink"));
  EXPECT_NE(access((dir + "/elsewhere/passwd").c_str(), F_OK), 0) << "wrote through a symlink";
  ASSERT_EQ(system(("rm -rf " + dir).c_str()), 0);
}

INSTANTIATE_TEST_SUITE_P(Modes, SbxRunTest, ::testing::Values("lix", "fast"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sbx
