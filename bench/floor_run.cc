// The floor of a whole `sbx run --mode fast -- CMD` (issue 30): the same namespaces, root,
// mount points, etc files, build dir on disk beneath $TMPDIR, id maps, mounts, id switch,
// seccomp program and exec that sbx makes for a builder, run as root without a build user,
// as one straight line of syscalls, then the removal of the build dir. What sbx does
// besides is left out on purpose, since the floor shows what it costs: the user-namespace
// probe, the leftover guard's removal list, the signal handlers, the staged (renamed) etc
// files, the pidfd and namespace fds, the launcher's signal mask, the error pipe, every
// check. A failed step aborts.
//
//   floor_run CMD [ARG...]     exits with CMD's status (128+N for a signal)
//
// Layout, as sandbox/rules/root_layout.h and sandbox/root/sandbox_root.cc make it: the root
// is a tmpfs mounted nowhere (fsopen, fsmount; nosuid, nodev, 0750 to the build group) with
// usr (bound read-only), the merged-/usr links, etc (passwd, group, hosts; bound read-only),
// proc, dev (six device files, kvm where usable, fd/stdin/stdout/stderr links, ptmx where
// the host has /dev/pts/ptmx), dev/shm, dev/pts, tmp (1777), build; the builder moves it
// over its / and chroots into it. $TMPDIR/sbx-floor-build-XXXXXX/build is bound on /build.
// As sbx's guard does, a holder process (sharing our fd table, killed by our death) keeps
// the build dir and the builder's mount namespace open past our exit, so that neither their
// release nor the namespace's teardown is waited for; and we close our stdio before exiting.
// As sbx's fast mode does, the builder is cloned as soon as the root's (empty) tmpfs exists
// and makes its network namespace itself, while we fill the root and make the build dir.
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/mount.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "sandbox/rules/passwd.h"
#include "sandbox/rules/root_layout.h"

namespace {

constexpr sock_filter kSeccompProgram[] = {
#include "sandbox/tools/builder_seccomp_program.inc"
};

// The root's layout and the etc files are sbx's own (sandbox/rules: pure, no syscalls), so
// that the floor makes what sbx makes.
using sbx::kDevLinks;
using sbx::kDevNodes;
using sbx::kEtcHosts;
using sbx::kMountPointDirs;
using sbx::kSystemDirs;
constexpr const char* kSearchPath[] = {"/usr/bin", "/bin", "/usr/sbin", "/sbin"};

long Must(long rc) {
  if (rc < 0) std::abort();
  return rc;
}

void WriteFileAt(int dir, const char* name, const char* text, size_t size, mode_t mode) {
  const int fd =
      static_cast<int>(Must(openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)));
  if (write(fd, text, size) != static_cast<ssize_t>(size)) std::abort();
  close(fd);
}

// One mount the builder makes; `read_only`: then made read-only, nosuid and nodev all the
// way down (one recursive mount_setattr).
struct MountStep {
  std::string source, target;
  const char* type;
  unsigned long flags;
  const char* data;
  bool read_only;
};

// Everything the builder needs, computed before the clone: it only makes syscalls.
struct Builder {
  int release_read = -1;
  int root_mount = -1;  // the root tmpfs's detached mount
  std::vector<MountStep> mounts;
  std::vector<std::string> storage, paths;  // the environment's strings, the command's paths
  std::vector<char*> argv, env;
  std::vector<const char*> exec_paths;  // argv[0], or each place PATH would find it
  alignas(16) char stack[64 << 10];
};
Builder g_builder;

// The builder, on the parent's memory until it execs (the parent only waits meanwhile).
int BuilderMain(void*) {
  Builder& b = g_builder;
  Must(prctl(PR_SET_PDEATHSIG, SIGKILL));
  Must(unshare(CLONE_NEWNET));
  char go = 0;
  if (read(b.release_read, &go, 1) != 1 || go != '1') std::abort();
  const int lo = static_cast<int>(Must(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)));
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  std::strcpy(ifr.ifr_name, "lo");
  Must(ioctl(lo, SIOCGIFFLAGS, &ifr));
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  Must(ioctl(lo, SIOCSIFFLAGS, &ifr));
  close(lo);
  Must(sethostname("localhost", 9));
  Must(setdomainname("(none)", 6));
  Must(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr));
  Must(fchdir(b.root_mount));
  Must(syscall(SYS_move_mount, b.root_mount, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH));
  for (const MountStep& m : b.mounts) {
    Must(mount(m.source.empty() ? nullptr : m.source.c_str(), m.target.c_str(), m.type, m.flags,
               m.data));
    if (!m.read_only) continue;
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    Must(syscall(SYS_mount_setattr, AT_FDCWD, m.target.c_str(), AT_RECURSIVE, &attr, sizeof attr));
  }
  Must(chroot("."));
  Must(chdir("/"));
  Must(syscall(SYS_setresgid, 100, 100, 100));
  Must(syscall(SYS_setresuid, 1000, 1000, 1000));
  Must(prctl(PR_SET_PDEATHSIG, SIGKILL));  // changing ids cleared it
  Must(chdir("/build"));
  Must(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
  sock_fprog program{};
  program.len = static_cast<unsigned short>(std::size(kSeccompProgram));
  program.filter = const_cast<sock_filter*>(kSeccompProgram);
  Must(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program));
  Must(syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC));
  for (const char* path : b.exec_paths) execve(path, b.argv.data(), b.env.data());
  _exit(errno == ENOENT || errno == ENOTDIR ? 127 : 126);
}

// What the builder mounts, in sbx's order (sandbox/builder/run_child.cc), once it is in the
// root tmpfs: targets relative to it, host sources absolute.
std::vector<MountStep> MountSteps(const std::vector<std::string>& ro,
                                  const std::vector<std::string>& devs,
                                  const std::string& build_source) {
  const std::string root = ".";
  std::vector<MountStep> m;
  for (const std::string& dir : ro) {
    const std::string source = dir == "/etc" ? root + dir : dir;
    m.push_back({source, root + dir, nullptr, MS_BIND | MS_REC, nullptr, true});
  }
  m.push_back({"proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, false});
  for (const std::string& dev : devs)
    m.push_back({dev, root + dev, nullptr, MS_BIND, nullptr, false});
  m.push_back({"tmpfs", root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", false});
  m.push_back({"devpts", root + "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
               "newinstance,mode=0620,ptmxmode=0666", false});
  m.push_back({build_source, root + "/build", nullptr, MS_BIND, nullptr, false});
  // The caller is the host's root: the build dir's mount has no locked flags to repeat.
  m.push_back(
      {"", root + "/build", nullptr, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV, nullptr, false});
  return m;
}

void WriteProcFile(pid_t pid, const char* name, const char* text) {
  const std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  const int fd = static_cast<int>(Must(open(path.c_str(), O_WRONLY | O_CLOEXEC)));
  if (write(fd, text, std::strlen(text)) != static_cast<ssize_t>(std::strlen(text))) std::abort();
  close(fd);
}

// The holder: shares our fd table (CLONE_FILES) and dies with us; the table, and the
// references in it, go with it. We may be gone before it arms its death signal (it runs
// when it is scheduled): then it ends at once, or it would pause forever.
pid_t g_floor_pid = 0;
int HolderMain(void*) {
  syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
  if (syscall(SYS_getppid) != g_floor_pid) syscall(SYS_exit, 0);
  for (;;) syscall(SYS_pause);
}
alignas(16) char g_holder_stack[16 << 10];

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    static const char kUsage[] = "usage: floor_run CMD [ARG...]\n";
    (void)!write(2, kUsage, sizeof kUsage - 1);
    return 2;
  }
  Builder& b = g_builder;
  const gid_t host_gid = getgid();
  const bool kvm = access("/dev/kvm", R_OK | W_OK) == 0;
  const bool ptmx = access("/dev/pts/ptmx", F_OK) == 0;

  g_floor_pid = getpid();
  Must(clone(HolderMain, g_holder_stack + sizeof g_holder_stack, CLONE_VM | CLONE_FILES | SIGCHLD,
             nullptr));

  // The root, one syscall per entry (no one else can reach it: nothing can be in the way).
  const int fs = static_cast<int>(Must(syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC)));
  Must(syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "mode", "0750", 0));
  const std::string group = std::to_string(host_gid);
  Must(syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "gid", group.c_str(), 0));
  Must(syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0));
  const int root = static_cast<int>(
      Must(syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)));
  close(fs);
  b.root_mount = root;
  int release[2];
  Must(pipe2(release, O_CLOEXEC));
  b.release_read = release[0];
  // As sbx's fast mode: the builder makes its network namespace itself, while we fill the
  // root and make the build dir (nothing it needs as an fd).
  const int flags =
      CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_VM | SIGCHLD;
  const pid_t pid =
      static_cast<pid_t>(Must(clone(BuilderMain, b.stack + sizeof b.stack, flags, nullptr)));
  std::vector<std::string> read_only, devs;  // host paths bound into the root
  for (const char* dir : kSystemDirs) {
    struct stat st;
    if (lstat(dir, &st) < 0) continue;
    if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      const ssize_t n = Must(readlink(dir, target, sizeof target - 1));
      target[n] = '\0';
      Must(symlinkat(target, root, dir + 1));
      continue;
    }
    Must(mkdirat(root, dir + 1, 0755));
    read_only.push_back(dir);
  }
  for (const char* dir : kMountPointDirs) Must(mkdirat(root, dir, 0755));
  Must(mkdirat(root, "tmp", 0755));
  Must(fchmodat(root, "tmp", 01777, 0));
  const int dev = static_cast<int>(Must(openat(root, "dev", O_RDONLY | O_DIRECTORY | O_CLOEXEC)));
  std::vector<const char*> nodes(std::begin(kDevNodes), std::end(kDevNodes));
  if (kvm) nodes.push_back("kvm");
  for (const char* node : nodes) {
    Must(mknodat(dev, node, S_IFREG | 0644, 0));
    devs.push_back(std::string("/dev/") + node);
  }
  for (const auto& link : kDevLinks) Must(symlinkat(link[1], dev, link[0]));
  if (ptmx) Must(symlinkat("pts/ptmx", dev, "ptmx"));
  close(dev);
  const int etc = static_cast<int>(Must(openat(root, "etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC)));
  WriteFileAt(etc, "hosts", kEtcHosts, sizeof kEtcHosts - 1, 0644);
  Must(mkdirat(root, "build", 0755));
  read_only.push_back("/etc");

  // The build dir on disk: TOP 0710 to the build group, TOP/build 0700 (ours: we are root).
  const char* tmpdir = std::getenv("TMPDIR");
  std::string top =
      (tmpdir && tmpdir[0] == '/' ? std::string(tmpdir) : "/tmp") + "/sbx-floor-build-XXXXXX";
  if (!mkdtemp(top.data())) std::abort();
  const int top_fd =
      static_cast<int>(Must(open(top.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)));
  Must(fchown(top_fd, -1, host_gid));
  Must(fchmod(top_fd, 0710));
  Must(mkdirat(top_fd, "build", 0700));
  Must(openat(top_fd, "build", O_PATH | O_NOFOLLOW | O_CLOEXEC));  // for the holder
  b.mounts = MountSteps(read_only, devs, top + "/build");

  // The builder's command and Nix's environment (sandbox/rules/start_plan.cc).
  b.storage = {"PATH=/usr/bin:/bin:/usr/sbin:/sbin",
               "HOME=/homeless-shelter",
               "NIX_STORE=/nix/store",
               "NIX_BUILD_CORES=" + std::to_string(get_nprocs()),
               "NIX_LOG_FD=2",
               "TERM=xterm-256color",
               "NIX_BUILD_TOP=/build",
               "TMPDIR=/build",
               "TMP=/build",
               "TEMP=/build",
               "TEMPDIR=/build"};
  for (std::string& var : b.storage) b.env.push_back(var.data());
  b.env.push_back(nullptr);
  for (int i = 1; i < argc; ++i) b.argv.push_back(argv[i]);
  b.argv.push_back(nullptr);
  if (std::strchr(argv[1], '/')) {
    b.exec_paths.push_back(argv[1]);
  } else {
    for (const char* dir : kSearchPath) b.paths.push_back(std::string(dir) + "/" + argv[1]);
    for (const std::string& path : b.paths) b.exec_paths.push_back(path.c_str());
  }

  // The etc files (they depend on nothing the builder does).
  const sbx::EtcFiles files = *sbx::GenerateEtcFiles(1000, 100, "/build", nullptr);
  WriteFileAt(etc, "passwd", files.passwd.data(), files.passwd.size(), 0644);
  WriteFileAt(etc, "group", files.group.data(), files.group.size(), 0644);
  close(etc);

  WriteProcFile(pid, "uid_map", ("1000 " + std::to_string(getuid()) + " 1").c_str());
  WriteProcFile(pid, "setgroups", "deny");
  WriteProcFile(pid, "gid_map", ("100 " + std::to_string(host_gid) + " 1").c_str());
  const std::string mount_ns = "/proc/" + std::to_string(pid) + "/ns/mnt";
  Must(open(mount_ns.c_str(), O_RDONLY | O_CLOEXEC));  // for the holder
  if (write(release[1], "1", 1) != 1) std::abort();
  close(release[1]);
  close(release[0]);
  int status = 0;
  Must(waitpid(pid, &status, 0));

  // Removal: the build dir with two rmdirs; the holder keeps TOP (top_fd) and TOP/build.
  Must(unlinkat(top_fd, "build", AT_REMOVEDIR));
  Must(rmdir(top.c_str()));
  // As sbx does: our reader sees the end of our output at our exit, not at the holder's.
  for (int fd = 0; fd <= 2; ++fd) close(fd);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 125;
}
