// What `sbx run` promises the host (docs/spec.md, "What the sandbox guarantees"): nothing
// is written outside the sandbox root, host binds are read-only all the way down, the
// builder gets only fds 0-2, no new privileges and Nix's seccomp filter, and signals to sbx
// leave nothing behind. Each case would catch the breach it names. The destructive ones run
// in a private mount namespace whose / is a scratch tmpfs with copies of the host's files,
// so that a regression damages the copy, never the machine.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/sbx_process.h"
#include "testing/scratch_dir.h"
#include "testing/util.h"

namespace sbx {
namespace {

using ::testing::HasSubstr;
using testing::Outcome;

// Runs body in a forked child inside a private mount namespace; returns what body returned
// ("" for success, else what went wrong), or why the child could not run it.
std::string InPrivateMountNamespace(const std::function<std::string()>& body) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string result;
    if (unshare(CLONE_NEWNS) < 0 ||
        mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) {
      result = std::string("private mount namespace: ") + strerror(errno);
    } else {
      result = body();
    }
    (void)!write(fds[1], result.data(), result.size());
    _exit(0);
  }
  close(fds[1]);
  std::string result = testing::ReadAll(fds[0]);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) result += " (the child crashed)";
  return result;
}

std::string Errno(const std::string& what) { return what + ": " + strerror(errno); }

// pivot_root fails where / is the initial ramfs (a VM guest running from its initramfs).
constexpr char kNoPivotRoot[] = "pivot_root into a fake host";

// Makes a scratch tmpfs the process's /: the host's system dirs bound read-only, /dev and
// /proc, and copies of /etc/passwd, /etc/group and the loader's cache in its own /etc.
std::string ChrootIntoFakeHost() {
  // A tmpfs over /tmp first: in this private mount namespace, the fake host's mount point
  // is made there and vanishes with the namespace, leaving nothing in the host's /tmp.
  if (mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777") < 0) return Errno("tmpfs on /tmp");
  char dir[] = "/tmp/sbx-fake-host-XXXXXX";
  if (!mkdtemp(dir)) return Errno("mkdtemp");
  const std::string root = dir;
  if (mount("tmpfs", dir, "tmpfs", 0, "mode=0755") < 0) return Errno("tmpfs");
  for (const char* system_dir : {"/usr", "/bin", "/sbin", "/lib", "/lib64", "/dev"}) {
    struct stat st;
    if (lstat(system_dir, &st) < 0) continue;
    const std::string target = root + system_dir;
    if (S_ISLNK(st.st_mode)) {
      char link[4096];
      ssize_t n = readlink(system_dir, link, sizeof link - 1);
      link[n < 0 ? 0 : n] = '\0';
      if (symlink(link, target.c_str()) < 0) return Errno("symlink " + target);
      continue;
    }
    if (mkdir(target.c_str(), 0755) < 0 ||
        mount(system_dir, target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0) {
      return Errno("bind " + target);
    }
  }
  for (const char* sub : {"/etc", "/proc", "/tmp"}) mkdir((root + sub).c_str(), 0755);
  chmod((root + "/tmp").c_str(), 01777);
  if (mount("proc", (root + "/proc").c_str(), "proc", 0, nullptr) < 0) return Errno("proc");
  for (const char* file : {"/etc/passwd", "/etc/group", "/etc/ld.so.cache"}) {
    const std::string content = testing::ReadFile(file);
    int fd = open((root + file).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 ||
        write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
      return Errno(std::string("copy ") + file);
    }
    close(fd);
  }
  // pivot_root, not chroot: a chrooted process may not create user namespaces.
  const std::string old_root = root + "/tmp/old-root";
  if (mkdir(old_root.c_str(), 0700) < 0) return Errno("mkdir " + old_root);
  if (syscall(SYS_pivot_root, dir, old_root.c_str()) < 0) return Errno(kNoPivotRoot);
  if (chdir("/") < 0 || umount2("/tmp/old-root", MNT_DETACH) < 0) return Errno("old root");
  rmdir("/tmp/old-root");
  return "";
}

// The fake host, except in a VM guest (SBX_IN_VM, set by vm/init.sh): the guest is itself
// disposable, and its / (the initramfs) cannot be pivoted away from.
std::string IntoFakeHostUnlessInDisposableGuest() {
  return std::getenv("SBX_IN_VM") ? "" : ChrootIntoFakeHost();
}

class HostSafetyTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string why = testing::UserNamespaceUnavailableReason();
    if (!why.empty()) GTEST_SKIP() << why;
  }

  std::vector<std::string> RunArgs(std::vector<std::string> options,
                                   const std::vector<std::string>& command) {
    options.insert(options.begin(), {"run", "--mode", GetParam()});
    options.push_back("--");
    options.insert(options.end(), command.begin(), command.end());
    return options;
  }

  // `--root ROOT` refused with `why`, and the (fake) host's /etc/passwd and /etc/group
  // unchanged, no /build made. As root, in a fake host; otherwise on the real one (where a
  // regression could write nothing anyway).
  void ExpectRootRefused(const std::string& given_root, const std::string& why,
                         const std::vector<std::string>& extra = {}) {
    std::vector<std::string> options = {"--root", given_root};
    options.insert(options.end(), extra.begin(), extra.end());
    const std::vector<std::string> args = RunArgs(options, {"/bin/true"});
    if (getuid() != 0) {
      Outcome o = testing::Sbx(args);
      EXPECT_EQ(o.exit_code, 125) << o.err;
      EXPECT_THAT(o.err, HasSubstr(why));
      return;
    }
    const int binary = open(testing::SbxPath().c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(binary, 0);
    const std::string failure = InPrivateMountNamespace([&]() -> std::string {
      if (std::string error = IntoFakeHostUnlessInDisposableGuest(); !error.empty()) return error;
      if (given_root != "/" && symlink("/", given_root.c_str()) < 0) return Errno("symlink");
      const std::string passwd = testing::ReadFile("/etc/passwd");
      const std::string group = testing::ReadFile("/etc/group");
      Outcome o = testing::SbxFromFd(binary, args);
      std::string result;
      if (o.exit_code != 125) result += "exit " + std::to_string(o.exit_code) + "; ";
      if (o.err.find(why) == std::string::npos) result += "stderr: " + o.err + "; ";
      if (testing::ReadFile("/etc/passwd") != passwd) result += "the host's passwd changed; ";
      if (testing::ReadFile("/etc/group") != group) result += "the host's group changed; ";
      if (access("/build", F_OK) == 0) result += "/build was made on the host; ";
      if (given_root != "/") unlink(given_root.c_str());  // the guest's /tmp is not a copy
      return result;
    });
    close(binary);
    if (failure.rfind(kNoPivotRoot, 0) == 0) GTEST_SKIP() << failure;
    EXPECT_EQ(failure, "");
  }
};

TEST_P(HostSafetyTest, RootThatIsTheHostsRootIsRefused) {
  ExpectRootRefused("/", "is the host's /: refused (nothing was written)");
  ExpectRootRefused("/", "is the host's /", {"--build-uid", "30001", "--build-gid", "30000"});
}

TEST_P(HostSafetyTest, SymlinkToTheHostsRootIsRefused) {
  if (getuid() != 0) GTEST_SKIP() << "needs root for a fake host in a private mount namespace";
  ExpectRootRefused("/tmp/link-to-root", "is the host's /: refused (nothing was written)");
}

// On the fake host: should the refusal regress, sbx writes the fake host's copies, never the
// machine's /etc.
TEST_P(HostSafetyTest, RootHoldingTheHostsEtcIsRefused) {
  if (getuid() != 0) GTEST_SKIP() << "needs root to bind the host's /etc into a root";
  const int binary = open(testing::SbxPath().c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(binary, 0);
  const std::string failure = InPrivateMountNamespace([&]() -> std::string {
    if (std::string error = IntoFakeHostUnlessInDisposableGuest(); !error.empty()) return error;
    char dir[] = "/tmp/sbx-root-with-etc-XXXXXX";
    if (!mkdtemp(dir)) return Errno("mkdtemp");
    const std::string etc = std::string(dir) + "/etc";
    const std::string passwd = testing::ReadFile("/etc/passwd");
    std::string result;
    if (mkdir(etc.c_str(), 0755) < 0 || mount("/etc", etc.c_str(), nullptr, MS_BIND, nullptr) < 0) {
      result = Errno("bind /etc");
    } else {
      Outcome o = testing::SbxFromFd(binary, RunArgs({"--root", dir}, {"/bin/true"}));
      if (o.exit_code != 125 || o.err.find("holds the host's /etc") == std::string::npos) {
        result = "not refused: exit " + std::to_string(o.exit_code) + ", " + o.err;
      }
      if (testing::ReadFile("/etc/passwd") != passwd) result += "; the host's passwd changed";
      umount2(etc.c_str(), MNT_DETACH);
    }
    rmdir(etc.c_str());
    rmdir(dir);
    return result;
  });
  close(binary);
  EXPECT_EQ(failure, "");
}

// A build dir in a given root that is a symlink to a host directory is refused, and that
// directory keeps its owner and mode.
TEST_P(HostSafetyTest, BuildDirSymlinkIsNotFollowed) {
  char root[] = "/tmp/sbx-given-root-XXXXXX";
  char outside[] = "/tmp/sbx-outside-XXXXXX";
  ASSERT_NE(mkdtemp(root), nullptr);
  ASSERT_NE(mkdtemp(outside), nullptr);
  struct stat before, after;
  ASSERT_EQ(stat(outside, &before), 0);
  ASSERT_EQ(symlink(outside, (std::string(root) + "/build").c_str()), 0);
  std::vector<std::string> options = {"--root", root};
  if (getuid() == 0)
    options.insert(options.end(), {"--build-uid", "30001", "--build-gid", "30000"});
  Outcome o = testing::Sbx(RunArgs(options, {"/bin/true"}));
  EXPECT_EQ(o.exit_code, 125);
  EXPECT_THAT(o.err, HasSubstr("not a symlink"));
  ASSERT_EQ(stat(outside, &after), 0);
  EXPECT_EQ(after.st_uid, before.st_uid);
  EXPECT_EQ(after.st_gid, before.st_gid);
  EXPECT_EQ(after.st_mode, before.st_mode);
  ASSERT_EQ(system(("rm -rf " + std::string(root) + " " + outside).c_str()), 0);
}

// A mount below a read-only bind (a tmpfs on /usr/local) is read-only, nosuid and nodev too.
TEST_P(HostSafetyTest, SubmountBelowAReadOnlyBindIsReadOnly) {
  if (getuid() != 0) GTEST_SKIP() << "needs root to mount below /usr";
  const std::string failure = InPrivateMountNamespace([&]() -> std::string {
    // The VM guest is ours to change; the host has /usr/local.
    if (std::getenv("SBX_IN_VM")) mkdir("/usr/local", 0755);
    if (mount("tmpfs", "/usr/local", "tmpfs", 0, "mode=0777") < 0) return Errno("tmpfs");
    Outcome o = testing::Sbx(
        RunArgs({"--build-uid", "872415232", "--build-gid", "872415232", "--uid-count", "65536"},
                {"/bin/sh", "-c", "touch /usr/local/x; grep ' /usr/local ' /proc/self/mountinfo"}));
    std::string result;
    if (access("/usr/local/x", F_OK) == 0) result += "the builder wrote below /usr; ";
    if (o.err.find("Read-only file system") == std::string::npos) result += "stderr: " + o.err;
    if (o.out.find(" ro,nosuid,nodev") == std::string::npos) result += "mount: " + o.out;
    return result;
  });
  EXPECT_EQ(failure, "");
}

TEST_P(HostSafetyTest, HostBindsAreReadOnlyNosuidNodev) {
  Outcome o =
      testing::Sbx(RunArgs({}, {"/bin/sh", "-c", "grep -E ' /(usr|etc) ' /proc/self/mountinfo"}));
  EXPECT_EQ(o.exit_code, 0) << o.err;
  // The mount point and its flags; the root within the file system is "/usr", or "/" where
  // /usr is a file system of its own (conformance/host_variant.sh usr-own-mount).
  EXPECT_THAT(o.out, ::testing::ContainsRegex(" /usr ro,nosuid,nodev"));
  EXPECT_THAT(o.out, ::testing::ContainsRegex(" /etc ro,nosuid,nodev"));
}

// runc's CVE-2024-21626 class: an fd the caller left open without O_CLOEXEC (here a
// directory of the host) must not reach the builder.
TEST_P(HostSafetyTest, BuilderGetsOnlyFdsZeroToTwo) {
  int leaked = open("/", O_RDONLY | O_DIRECTORY);  // no O_CLOEXEC, on purpose
  ASSERT_GE(leaked, 0);
  ASSERT_EQ(dup2(leaked, 9), 9);
  Outcome o = testing::Sbx(RunArgs({}, {"/bin/sh", "-c", "ls -l /proc/$$/fd"}));
  close(9);
  close(leaked);
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, ::testing::Not(HasSubstr(" 9 -> "))) << "fd 9 leaked";
  EXPECT_THAT(o.out, ::testing::Not(::testing::ContainsRegex(" -> /\n"))) << "the host's / leaked";
  // Debian's sh keeps nothing else open; BusyBox's (the VM guest's) keeps a tty fd.
  if (!std::getenv("SBX_IN_VM")) {
    EXPECT_THAT(o.out, HasSubstr(" 2 -> "));
    EXPECT_THAT(o.out, ::testing::Not(HasSubstr(" 3 -> ")));
  }
}

TEST_P(HostSafetyTest, NoNewPrivilegesAndNixsSeccompFilter) {
  Outcome o = testing::Sbx(
      RunArgs({}, {"/bin/sh", "-c",
                   "grep -E '^(NoNewPrivs|Seccomp|CapEff):' /proc/self/status; touch f; "
                   "chmod u+s f && echo setuid-allowed; chmod g+s f && echo setgid-allowed; "
                   "chmod 0755 f && echo plain-allowed"}));
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr("NoNewPrivs:\t1\n"));
  EXPECT_THAT(o.out, HasSubstr("Seccomp:\t2\n"));
  EXPECT_THAT(o.out, HasSubstr("CapEff:\t0000000000000000\n"));
  EXPECT_THAT(o.out, ::testing::Not(HasSubstr("setuid-allowed")));
  EXPECT_THAT(o.out, ::testing::Not(HasSubstr("setgid-allowed")));
  EXPECT_THAT(o.out, HasSubstr("plain-allowed"));
  EXPECT_THAT(o.err, HasSubstr("Operation not permitted"));
  // xattrs: a static helper in a root of its own, so that no tool is needed in the sandbox;
  // without the filter it would print "No such file or directory".
  testing::ScratchDir root("sbx-xattr-root");
  ASSERT_FALSE(root.path().empty());
  chmod(root.path().c_str(), 0755);
  {
    std::ifstream in(testing::RunfilePath("testing/setxattr_try"), std::ios::binary);
    std::ofstream out(root.path() + "/setxattr_try", std::ios::binary);
    ASSERT_TRUE(in && out);
    out << in.rdbuf();
  }
  chmod((root.path() + "/setxattr_try").c_str(), 0755);
  o = testing::Sbx(RunArgs({"--root", root.path()}, {"/setxattr_try"}));
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, "Operation not supported\n");
}

TEST_P(HostSafetyTest, WithoutUserNamespaceRootOrTheCallerIsRefused) {
  Outcome o = testing::Sbx(
      RunArgs({"--no-user-namespace", "--build-uid", "0", "--build-gid", "0"}, {"/bin/true"}));
  EXPECT_EQ(o.exit_code, 125);
  EXPECT_THAT(o.err, HasSubstr("cannot be root"));
  const std::string uid = std::to_string(getuid());
  o = testing::Sbx(
      RunArgs({"--no-user-namespace", "--build-uid", uid, "--build-gid", "30000"}, {"/bin/true"}));
  EXPECT_EQ(o.exit_code, 125);
  EXPECT_THAT(o.err, HasSubstr(getuid() == 0 ? "cannot be root" : "cannot be the caller"));
}

// The host path of the fresh root a builder runs in, from the builder's mountinfo (its /
// is a bind of the root: the mount's root field names the directory).
std::string FreshRootOf(const std::string& mountinfo_root) {
  return mountinfo_root.rfind("/sbx-root-", 0) == 0 ? "/dev/shm" + mountinfo_root : mountinfo_root;
}

// Starts `sbx run -- sh -c 'print the root; sleep'`, sends `sig`, and returns sbx's wait
// status; *root is the fresh root's host path, *builder the builder's pid.
int SignalSbx(const std::string& mode, int sig, std::string* root, pid_t* builder,
              const std::vector<std::string>& options = {}) {
  *builder = -1;
  int out[2];
  if (pipe2(out, O_CLOEXEC) < 0) return -1;
  const std::string path = testing::SbxPath();
  pid_t sbx = fork();
  if (sbx == 0) {
    dup2(out[1], 1);
    std::vector<std::string> args = {"sbx", "run", "--mode", mode};
    args.insert(args.end(), options.begin(), options.end());
    for (const char* word :
         {"--", "/bin/sh", "-c",
          "sed -n 's|^[0-9]* [0-9]* [0-9:]* \\([^ ]*\\) / .*|\\1|p' /proc/self/mountinfo | "
          "head -n 1; exec sleep 30"}) {
      args.push_back(word);
    }
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(path.c_str(), argv.data());
    _exit(99);
  }
  close(out[1]);
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
  close(out[0]);
  *root = FreshRootOf(line);
  // The builder: sbx's child that runs sleep (in lix mode the helper has exited by now).
  const std::string children =
      "/proc/" + std::to_string(sbx) + "/task/" + std::to_string(sbx) + "/children";
  for (int i = 0; i < 500 && *builder <= 0; ++i) {
    std::istringstream pids(testing::ReadFile(children));
    for (pid_t pid; pids >> pid;) {
      if (testing::ReadFile("/proc/" + std::to_string(pid) + "/comm") == "sleep\n") *builder = pid;
    }
    if (*builder <= 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(sbx, sig);
  int status = 0;
  waitpid(sbx, &status, 0);
  return status;
}

bool GoneWithin(const std::string& path, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (access(path.c_str(), F_OK) == 0) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

TEST_P(HostSafetyTest, TerminatingSignalsCleanUpAndExit128PlusN) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    std::string root;
    pid_t builder;
    const int status = SignalSbx(GetParam(), sig, &root, &builder);
    ASSERT_THAT(root, HasSubstr("sbx-root-")) << "no root printed";
    EXPECT_TRUE(WIFEXITED(status)) << strsignal(sig) << ": wait status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 128 + sig) << strsignal(sig);
    EXPECT_NE(access(root.c_str(), F_OK), 0) << strsignal(sig) << " left " << root;
  }
}

// Killed outright, sbx cannot clean up; its leftover guard does.
TEST_P(HostSafetyTest, KilledSbxLeavesNoRoot) {
  std::string root;
  pid_t builder;
  // A build user whose host id differs from the builder's first one: only then does the
  // kernel clear the death signal at setuid (spec 17), which sbx must re-arm after it.
  std::vector<std::string> options;
  std::optional<BuildUser> user = testing::MappableBuildUser(1);
  if (user && getuid() == 0) user = BuildUser{.uid = 30001, .gid = 30000, .count = 1};
  if (user) {
    options = {"--build-uid", std::to_string(user->uid), "--build-gid", std::to_string(user->gid)};
  }
  const int status = SignalSbx(GetParam(), SIGKILL, &root, &builder, options);
  ASSERT_THAT(root, HasSubstr("sbx-root-")) << "no root printed";
  ASSERT_GT(builder, 0) << "no builder running sleep";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_TRUE(GoneWithin(root, std::chrono::seconds(10))) << "left " << root;
  // Spec 17: the death signal, re-armed after the builder's setuid, ends it with sbx (it
  // would live on had the credential change cleared it).
  EXPECT_TRUE(GoneWithin("/proc/" + std::to_string(builder), std::chrono::seconds(10)))
      << "the builder outlived sbx";
}

// The same for a --cgroup sbx made: the guard kills what is in it and removes it.
TEST_P(HostSafetyTest, KilledSbxLeavesNoCgroup) {
  const std::string base = testing::CgroupBase();
  if (base.empty()) {
    GTEST_SKIP() << "no cgroup v2 hierarchy this user may write (needs root, or a delegated "
                    "cgroup as in the VM)";
  }
  const std::string cgroup = base + "/sbx-killed-" + std::to_string(getpid());
  std::string root;
  pid_t builder;
  const int status = SignalSbx(GetParam(), SIGKILL, &root, &builder, {"--cgroup", cgroup});
  ASSERT_GT(builder, 0) << "no builder running sleep";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
  EXPECT_TRUE(GoneWithin(cgroup, std::chrono::seconds(10))) << "left " << cgroup;
  EXPECT_TRUE(GoneWithin("/proc/" + std::to_string(builder), std::chrono::seconds(10)));
}

INSTANTIATE_TEST_SUITE_P(Modes, HostSafetyTest, ::testing::Values("lix", "fast"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sbx
