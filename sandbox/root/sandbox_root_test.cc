// The sandbox root the parent prepares (sandbox_root.cc), without privileges: what a given
// and a fresh root get, that nothing is created outside through a planted symlink, that the
// host's / and a root holding the host's /etc are refused before anything is written, that
// a fresh root is removed by what it was made of and whatever the builder left, and that
// RemoveTree neither follows symlinks nor crosses mounts. Planted symlinks point into
// an "outside" dir of this test's scratch dir, never at system paths; the two refusal cases
// run in a child that cannot write to any file system at all (a seccomp filter), so that a
// broken refusal fails the case instead of writing to the host.
#include "sandbox/root/sandbox_root.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "sandbox/base/sys_error.h"
#include "sandbox/root/remove_tree.h"
#include "sandbox/rules/root_layout.h"
#include "testing/scratch_dir.h"

namespace sbx {
namespace {

// The builder's steps of a root with this build dir (no /dev/kvm; /dev/ptmx linked).
BuilderSteps StepsIn(const std::string& build_dir) {
  BuilderSteps steps;
  steps.build_dir = build_dir;
  return steps;
}

bool WriteProcFile(const char* path, const std::string& text) {
  const int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  return close(fd) == 0 && written;
}

using Scratch = testing::ScratchDir;

// Runs `body` in a forked child and returns its exit code, or 128+N for death by signal N
// (an alarm of 20 s ends a child that hangs).
int ExitCodeOf(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    alarm(20);
    _exit(body());
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// In the calling process, for good: every syscall that creates, removes, renames, changes
// the mode or owner of, or opens for writing a file fails with EPERM; openat2 says ENOSYS
// (so that callers fall back to openat, whose flags the filter can see). False if it could
// not be installed.
bool ForbidFileSystemWritesUnchecked();

// ForbidFileSystemWritesUnchecked, then proof that it holds: creating a file or a dir in `scratch`
// fails. False when either is possible.
bool ForbidFileSystemWritesIn(const std::string& scratch) {
  if (!ForbidFileSystemWritesUnchecked()) return false;
  const std::string probe = scratch + "/write-probe";
  const int fd = open(probe.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
  return fd < 0 && mkdir(probe.c_str(), 0755) != 0 && access(probe.c_str(), F_OK) != 0;
}

bool ForbidFileSystemWritesUnchecked() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return false;
  bool ok = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0) == 0;
  for (int syscall :
       {SCMP_SYS(mkdir),    SCMP_SYS(mkdirat),   SCMP_SYS(mknod),     SCMP_SYS(mknodat),
        SCMP_SYS(symlink),  SCMP_SYS(symlinkat), SCMP_SYS(link),      SCMP_SYS(linkat),
        SCMP_SYS(unlink),   SCMP_SYS(unlinkat),  SCMP_SYS(rmdir),     SCMP_SYS(rename),
        SCMP_SYS(renameat), SCMP_SYS(renameat2), SCMP_SYS(chmod),     SCMP_SYS(fchmod),
        SCMP_SYS(fchmodat), SCMP_SYS(chown),     SCMP_SYS(fchown),    SCMP_SYS(fchownat),
        SCMP_SYS(lchown),   SCMP_SYS(truncate),  SCMP_SYS(ftruncate), SCMP_SYS(creat),
        SCMP_SYS(mount),    SCMP_SYS(setxattr),  SCMP_SYS(lsetxattr), SCMP_SYS(fsetxattr),
        SCMP_SYS(utimensat)}) {
    ok = ok && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), syscall, 0) == 0;
  }
  // An open for writing, creating or truncating, whatever else its flags say.
  for (scmp_datum_t flag : {O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_TMPFILE & ~O_DIRECTORY}) {
    ok = ok &&
         seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(openat), 1,
                          SCMP_A2(SCMP_CMP_MASKED_EQ, flag, flag)) == 0 &&
         seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(open), 1,
                          SCMP_A1(SCMP_CMP_MASKED_EQ, flag, flag)) == 0;
  }
  ok = ok && seccomp_load(ctx) == 0;
  seccomp_release(ctx);
  return ok;
}

// In the calling process, for good: getdents and getdents64 fail with EPERM, so no directory
// can be listed. False if that could not be installed or does not hold in `dir`.
bool ForbidListingDirectories(const std::string& dir) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return false;
  bool ok = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(getdents64), 0) == 0 &&
            seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(getdents), 0) == 0 &&
            seccomp_load(ctx) == 0;
  seccomp_release(ctx);
  DIR* listing = opendir(dir.c_str());
  ok = ok && listing && readdir(listing) == nullptr && errno == EPERM;
  if (listing) closedir(listing);
  return ok;
}

// In a forked child: a private mount namespace (as root alone; else inside a user namespace
// of its own with this user's ids mapped), with / made private so that nothing propagates
// back. False where neither is possible.
bool EnterPrivateMountNamespace() {
  if (geteuid() == 0) {
    if (unshare(CLONE_NEWNS) != 0) return false;
  } else {
    const std::string uid = std::to_string(geteuid()), gid = std::to_string(getegid());
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0 ||
        !WriteProcFile("/proc/self/uid_map", uid + " " + uid + " 1") ||
        !WriteProcFile("/proc/self/setgroups", "deny") ||
        !WriteProcFile("/proc/self/gid_map", gid + " " + gid + " 1")) {
      return false;
    }
  }
  return mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
}

using Entries = std::map<std::string, std::string>;

const std::string kBuildDir = "/build";

// What every root holds after SandboxRoot, with the build dir `build`: written out here, not
// taken from root_layout.h, so that a change to the layout must change this test too.
Entries LayoutEntries(const std::string& build) {
  Entries entries = {
      {"etc", "dir"},
      {"proc", "dir"},
      {"dev", "dir"},
      {"dev/shm", "dir"},
      {"dev/pts", "dir"},
      {"tmp", "dir"},
      {"dev/null", "file:"},
      {"dev/zero", "file:"},
      {"dev/full", "file:"},
      {"dev/random", "file:"},
      {"dev/urandom", "file:"},
      {"dev/tty", "file:"},
      {"dev/fd", "link:/proc/self/fd"},
      {"dev/stdin", "link:/proc/self/fd/0"},
      {"dev/stdout", "link:/proc/self/fd/1"},
      {"dev/stderr", "link:/proc/self/fd/2"},
      {"dev/ptmx", "link:pts/ptmx"},
      {"etc/hosts", "file:127.0.0.1 localhost\n::1 localhost\n"},
  };
  entries[build] = "dir";
  return entries;
}

// A fresh root that the code under test failed to remove (the case has failed already):
// removed here, without RemoveTree, so that a broken RemoveTree leaves nothing either.
void RemoveLeftover(const std::string& path) { testing::ScratchDir::RemoveAll(path); }

mode_t ModeOf(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0 ? st.st_mode : 0;
}

class SandboxRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(scratch_.path().empty()) << "mkdtemp: " << strerror(errno);
    root_ = scratch_.path() + "/root";
    outside_ = scratch_.path() + "/outside";
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(outside_.c_str(), 0755), 0);
    ASSERT_EQ(chmod(root_.c_str(), 0755), 0);  // whatever the umask
    std::ofstream(outside_ + "/target") << "outside's own\n";
    ASSERT_EQ(testing::TreeOf(outside_), OutsideAsCreated());
  }
  static Entries OutsideAsCreated() { return {{"target", "file:outside's own\n"}}; }

  Scratch scratch_{"sbx-root"};
  std::string root_, outside_;
};

// A given root gets the mount points, etc/hosts, the dev files and links, tmp 1777 and the
// build dir; its path is resolved once; only etc is bound read-only; it is kept afterwards.
TEST_F(SandboxRootTest, GivenRootGetsTheLayoutAndIsKept) {
  const std::string link = scratch_.path() + "/link-to-root";
  ASSERT_EQ(symlink(root_.c_str(), link.c_str()), 0);
  char resolved[PATH_MAX];
  ASSERT_NE(realpath(root_.c_str(), resolved), nullptr);
  {
    SandboxRoot root(link, StepsIn(kBuildDir), getgid());
    EXPECT_EQ(root.path(), resolved);
    EXPECT_EQ(testing::TreeOf(root_), LayoutEntries("build"));
    EXPECT_EQ(ModeOf(root_ + "/" + kTmpDir) & 07777, 01777u);
    ASSERT_EQ(root.read_only_binds().size(), 1u) << "a given root binds etc only";
    EXPECT_EQ(root.read_only_binds()[0].source, std::string(resolved) + "/etc");
    EXPECT_EQ(root.read_only_binds()[0].target, "/etc");
  }
  EXPECT_EQ(testing::TreeOf(root_), LayoutEntries("build")) << "a given root is left as it is";
  EXPECT_EQ(ModeOf(root_) & 07777, 0755u) << "a given root's own mode is not changed";
}

// A root prepared once can be prepared again (sbx run --root twice), and a nested build
// dir is made whole.
TEST_F(SandboxRootTest, GivenRootCanBePreparedAgain) {
  { SandboxRoot first(root_, StepsIn("/tmp/build/a"), getgid()); }
  SandboxRoot again(root_, StepsIn("/tmp/build/a"), getgid());
  Entries expected = LayoutEntries("tmp/build/a");
  expected["tmp/build"] = "dir";
  EXPECT_EQ(testing::TreeOf(root_), expected);
}

// A given root that has its own device nodes (as a debootstrap'd one does) keeps them as the
// mount points, unopened. Making a device node needs CAP_MKNOD.
TEST_F(SandboxRootTest, GivenRootKeepsItsDeviceNodes) {
  ASSERT_EQ(mkdir((root_ + "/dev").c_str(), 0755), 0);
  if (mknod((root_ + "/dev/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
    GTEST_SKIP() << "cannot make a device node here (no CAP_MKNOD): " << strerror(errno);
  }
  SandboxRoot root(root_, StepsIn(kBuildDir), getgid());
  struct stat st;
  ASSERT_EQ(lstat((root_ + "/dev/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "dev/null was replaced";
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
}

// A fresh root: made under /dev/shm or /tmp, announced before anything is in it, holding the
// layout and the host's system dirs (as dirs to bind, or copied symlinks), and removed by
// the destructor.
TEST_F(SandboxRootTest, FreshRootLivesAsLongAsTheObject) {
  std::string announced;
  Entries at_announcement;
  std::string path;
  {
    SandboxRoot root(std::nullopt, StepsIn(kBuildDir), getgid(), [&](const std::string& p) {
      announced = p;
      at_announcement = testing::TreeOf(p);
    });
    path = root.path();
    EXPECT_EQ(announced, path);
    EXPECT_EQ(at_announcement, Entries{}) << "announced only once it exists, before it is filled";
    EXPECT_TRUE(path.rfind("/dev/shm/sbx-root-", 0) == 0 || path.rfind("/tmp/sbx-root-", 0) == 0)
        << path;
    Entries expected = LayoutEntries("build");
    std::vector<std::string> bound;
    for (const char* dir : kSystemDirs) {
      struct stat st;
      if (lstat(dir, &st) != 0) continue;
      if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        const ssize_t n = readlink(dir, target, sizeof target);
        ASSERT_GT(n, 0);
        expected[dir + 1] = "link:" + std::string(target, n);
      } else {
        expected[dir + 1] = "dir";
        bound.push_back(dir);
      }
    }
    EXPECT_EQ(testing::TreeOf(path), expected);
    // Nix's chroot: root-owned and the build group's, mode 0750, where we may chown; else 0755.
    struct stat st;
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    if (geteuid() == 0) {
      EXPECT_EQ(st.st_mode & 07777, 0750u);
      EXPECT_EQ(st.st_uid, 0u);
      EXPECT_EQ(st.st_gid, getgid());
    } else {
      EXPECT_EQ(st.st_mode & 07777, 0755u);
    }
    // The binds: the system dirs that are dirs, then etc.
    std::vector<std::string> sources, targets;
    for (const BindMount& bind : root.read_only_binds()) {
      sources.push_back(bind.source);
      targets.push_back(bind.target);
    }
    bound.push_back(path + "/etc");
    EXPECT_EQ(sources, bound);
    bound.back() = "/etc";
    EXPECT_EQ(targets, bound);
  }
  EXPECT_NE(access(path.c_str(), F_OK), 0) << path << " outlived its SandboxRoot";
  RemoveLeftover(path);
}

// A fresh root is removed by what it was made of; what the start and the builder added (the
// etc files, files in tmp and the build dir, an entry in the root itself, a dev dir swapped
// for a symlink to the outside dir, a link in tmp to it) goes too, and nothing outside does.
TEST_F(SandboxRootTest, FreshRootIsRemovedWhateverTheBuilderLeft) {
  std::string path;
  {
    SandboxRoot root(std::nullopt, StepsIn("/tmp/build/a"), getgid());
    path = root.path();
    for (const char* file : kStartEtcFiles) std::ofstream(path + "/etc/" + file) << "x\n";
    ASSERT_EQ(mkdir((path + "/tmp/deep").c_str(), 0755), 0);
    ASSERT_EQ(mkdir((path + "/tmp/deep/er").c_str(), 0755), 0);
    std::ofstream(path + "/tmp/deep/er/file") << "x";
    std::ofstream(path + "/tmp/build/a/out") << "x";
    std::ofstream(path + "/in-root") << "x";
    ASSERT_EQ(symlink(outside_.c_str(), (path + "/tmp/to-outside").c_str()), 0);
    ASSERT_EQ(rename((path + "/dev").c_str(), (path + "/dev-moved").c_str()), 0);
    ASSERT_EQ(symlink(outside_.c_str(), (path + "/dev").c_str()), 0);
    std::ofstream(outside_ + "/null") << "outside's null\n";
  }
  EXPECT_NE(access(path.c_str(), F_OK), 0) << path << " outlived its SandboxRoot";
  Entries outside = OutsideAsCreated();
  outside["null"] = "file:outside's null\n";
  EXPECT_EQ(testing::TreeOf(outside_), outside) << "removed through the dev symlink";
  RemoveLeftover(path);
}

// A fresh root that holds only what it was made of (and the etc files of the start) is
// removed without listing a directory: in a child that cannot list one, it still goes.
TEST_F(SandboxRootTest, FreshRootIsRemovedByWhatItWasMadeOf) {
  int path_pipe[2];
  ASSERT_EQ(pipe(path_pipe), 0);
  const int code = ExitCodeOf([&] {
    std::string path;
    {
      SandboxRoot root(std::nullopt, StepsIn("/tmp/build/a"), getgid(), [&](const std::string& p) {
        if (write(path_pipe[1], p.data(), p.size()) != static_cast<ssize_t>(p.size())) _exit(13);
      });
      path = root.path();
      for (const char* file : kStartEtcFiles) std::ofstream(path + "/etc/" + file) << "x\n";
      if (!ForbidListingDirectories(path)) return 11;
    }
    return access(path.c_str(), F_OK) == 0 ? 1 : 0;
  });
  close(path_pipe[1]);
  char path[PATH_MAX];
  const ssize_t n = read(path_pipe[0], path, sizeof path);
  close(path_pipe[0]);
  if (n > 0) RemoveLeftover(std::string(path, n));
  if (code == 11) GTEST_SKIP() << "cannot install (or prove) a seccomp filter against listing";
  EXPECT_EQ(code, 0) << "1: the root was left behind (its removal needed a listing), 13: setup";
}

// A fresh root is removed again when it cannot be completed (the constructor throws).
TEST_F(SandboxRootTest, FreshRootIsRemovedWhenItFails) {
  std::string announced;
  try {
    SandboxRoot root(std::nullopt, StepsIn("/build/../escape"), getgid(),
                     [&](const std::string& p) { announced = p; });
    ADD_FAILURE() << "a build dir leaving the root was accepted";
  } catch (const SysError& e) {
    EXPECT_EQ(e.error(), EXDEV) << e.what();
  }
  ASSERT_FALSE(announced.empty());
  EXPECT_NE(access(announced.c_str(), F_OK), 0) << announced << " was left behind";
  RemoveLeftover(announced);
}

// A symlink planted in a given root, pointing into the outside dir: preparing the root
// fails, and nothing in the outside dir is created or changed (tmp's 1777 included).
struct Planted {
  const char* name;    // where in the root, parents made as dirs first
  const char* target;  // relative to the outside dir
  const char* build_dir;
};

class PlantedSymlink : public SandboxRootTest, public ::testing::WithParamInterface<Planted> {};

TEST_P(PlantedSymlink, NothingIsCreatedOutside) {
  const std::string name = GetParam().name;
  for (size_t slash = name.find('/'); slash != std::string::npos;
       slash = name.find('/', slash + 1)) {
    ASSERT_EQ(mkdir((root_ + "/" + name.substr(0, slash)).c_str(), 0755), 0);
  }
  const std::string target = outside_ + "/" + GetParam().target;
  ASSERT_EQ(symlink(target.c_str(), (root_ + "/" + name).c_str()), 0);
  const mode_t outside_mode = ModeOf(outside_);
  try {
    SandboxRoot root(root_, StepsIn(GetParam().build_dir), getgid());
    ADD_FAILURE() << "a root with " << name << " -> outside was prepared";
  } catch (const SysError& e) {
    EXPECT_NE(std::string(e.what()).find(root_), std::string::npos) << e.what();
  }
  EXPECT_EQ(testing::TreeOf(outside_), OutsideAsCreated());
  EXPECT_EQ(ModeOf(outside_), outside_mode);
}

INSTANTIATE_TEST_SUITE_P(
    Roots, PlantedSymlink,
    ::testing::Values(Planted{"etc", "", "/build"},             // etc itself
                      Planted{"dev", "", "/build"},             // dev/shm would go outside
                      Planted{"tmp", "", "/build"},             // chmod 1777 would go outside
                      Planted{"build", "", "/build/sub"},       // a build dir's parent
                      Planted{"dev/null", "victim", "/build"},  // a dev file
                      Planted{"etc/hosts", "target", "/build"}),
    [](const auto& info) {
      std::string name = info.param.name;
      for (char& c : name) {
        if (c == '/') c = '_';
      }
      return name;
    });

// The host's / as the given root: refused before anything is written. Run in a child that
// cannot write to any file system, so that were the refusal broken the first write fails
// (exit 2) instead of landing in the host's /.
TEST(SandboxRootRefusal, HostRootIsRefusedBeforeAnyWrite) {
  Scratch scratch("sbx-root-host");
  ASSERT_FALSE(scratch.path().empty());
  const int code = ExitCodeOf([&] {
    if (!ForbidFileSystemWritesIn(scratch.path())) return 10;
    try {
      SandboxRoot root(std::string("/"), StepsIn(kBuildDir), getgid());
      return 1;
    } catch (const SysError& e) {
      if (!e.refused()) return 2;
      return std::string(e.what()).find("is the host's /") == std::string::npos ? 3 : 0;
    } catch (...) {
      return 4;
    }
  });
  ASSERT_NE(code, 10)
      << "could not install (or prove) the seccomp filter that makes this case safe";
  EXPECT_EQ(code, 0) << "1: accepted, 2: not refused but failed (it tried to write), 3: wrong "
                        "message, 4: not a SysError";
}

// A root whose etc is the host's /etc (a bind mount, in a private mount namespace of a
// child that cannot write) is refused before anything is written.
TEST(SandboxRootRefusal, RootHoldingTheHostsEtcIsRefusedBeforeAnyWrite) {
  Scratch scratch("sbx-root-etc");
  ASSERT_FALSE(scratch.path().empty());
  const std::string etc = scratch.path() + "/etc";
  ASSERT_EQ(mkdir(etc.c_str(), 0755), 0);
  const std::string root = scratch.path();
  const int code = ExitCodeOf([&] {
    if (!EnterPrivateMountNamespace()) return 11;
    if (mount("/etc", etc.c_str(), nullptr, MS_BIND, nullptr) != 0) return 12;
    if (!ForbidFileSystemWritesIn(scratch.path())) return 10;
    try {
      SandboxRoot sandbox_root(root, StepsIn(kBuildDir), getgid());
      return 1;
    } catch (const SysError& e) {
      if (!e.refused()) return 2;
      return std::string(e.what()).find("holds the host's /etc") == std::string::npos ? 3 : 0;
    } catch (...) {
      return 4;
    }
  });
  if (code == 11 || code == 12) {
    GTEST_SKIP() << "cannot bind the host's /etc in a private mount namespace here (neither "
                    "root nor user namespaces)";
  }
  ASSERT_NE(code, 10)
      << "could not install (or prove) the seccomp filter that makes this case safe";
  EXPECT_EQ(code, 0) << "1: accepted, 2: not refused but failed (it tried to write), 3: wrong "
                        "message, 4: not a SysError";
  EXPECT_EQ(testing::TreeOf(root), (Entries{{"etc", "dir"}})) << "the mount point was written to";
}

// RemoveTree removes the tree, not what its symlinks point at.
TEST_F(SandboxRootTest, RemoveTreeDoesNotFollowSymlinks) {
  const std::string tree = root_ + "/tree";
  ASSERT_EQ(mkdir(tree.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((tree + "/sub").c_str(), 0755), 0);
  std::ofstream(tree + "/sub/file") << "x";
  ASSERT_EQ(symlink(outside_.c_str(), (tree + "/dir-link").c_str()), 0);
  ASSERT_EQ(symlink((outside_ + "/target").c_str(), (tree + "/sub/file-link").c_str()), 0);
  RemoveTree(tree);
  EXPECT_NE(access(tree.c_str(), F_OK), 0) << "the tree is still there";
  EXPECT_EQ(testing::TreeOf(outside_), OutsideAsCreated());
  // A tree that is itself a symlink: the link goes, not what it points at.
  ASSERT_EQ(symlink(outside_.c_str(), tree.c_str()), 0);
  RemoveTree(tree);
  EXPECT_NE(access(tree.c_str(), F_OK), 0) << "the link is still there";
  EXPECT_EQ(testing::TreeOf(outside_), OutsideAsCreated());
}

// RemoveTree does not cross into a mount below the tree: the mounted file system's files
// stay, and so do those of a bind mount from the same file system (same device). In a child
// with a private mount namespace (root, or a user namespace).
TEST_F(SandboxRootTest, RemoveTreeDoesNotCrossMounts) {
  const std::string tree = root_ + "/tree", mnt = tree + "/mnt", bound = tree + "/bound";
  ASSERT_EQ(mkdir(tree.c_str(), 0755), 0);
  ASSERT_EQ(mkdir(mnt.c_str(), 0755), 0);
  ASSERT_EQ(mkdir(bound.c_str(), 0755), 0);
  std::ofstream(tree + "/beside") << "x";
  const int code = ExitCodeOf([&] {
    if (!EnterPrivateMountNamespace()) return 11;
    if (mount("tmpfs", mnt.c_str(), "tmpfs", 0, nullptr) != 0) return 12;
    if (mount(outside_.c_str(), bound.c_str(), nullptr, MS_BIND, nullptr) != 0) return 12;
    std::ofstream(mnt + "/in-mount") << "kept";
    if (access((mnt + "/in-mount").c_str(), F_OK) != 0) return 13;
    RemoveTree(tree);
    if (access((tree + "/beside").c_str(), F_OK) == 0) return 2;  // not removed at all
    if (access((outside_ + "/target").c_str(), F_OK) != 0) return 3;
    return access((mnt + "/in-mount").c_str(), F_OK) == 0 ? 0 : 1;
  });
  if (code == 11 || code == 12) {
    GTEST_SKIP() << "cannot mount a tmpfs in a private mount namespace here (neither root nor "
                    "user namespaces)";
  }
  EXPECT_EQ(code, 0) << "1: a file in the mount below the tree was removed, 2: the tree's own "
                        "file was not, 3: a file in the bind mount below the tree was removed, "
                        "13: setup";
}

}  // namespace
}  // namespace sbx
