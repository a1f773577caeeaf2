#include "integration/host_safety.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "testing/sbx_process.h"

namespace sbx::host_safety {

using ::testing::HasSubstr;
using testing::Outcome;

namespace {

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

}  // namespace

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

std::string IntoFakeHostUnlessInDisposableGuest() {
  return std::getenv("SBX_IN_VM") ? "" : ChrootIntoFakeHost();
}

void HostSafetyTest::ExpectRootRefused(const std::string& given_root, const std::string& why,
                                       const std::vector<std::string>& extra) {
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

}  // namespace sbx::host_safety
