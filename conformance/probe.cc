// The conformance probe: run as the builder inside a sandbox, it prints what the builder
// can observe, one `key value` line per observable, values escaped (escape.h). It is
// linked statically and needs nothing but the kernel: a sandbox's root may hold no
// library and no shell (a Nix sandbox has only /bin/sh and the store paths given to it).
//
// Names: the probe reads /etc/passwd and /etc/group itself and takes the first line with
// the id, as glibc's files backend does; a static binary cannot load NSS modules.
//
// It writes only to stdout, and creates files only in its working directory (the build
// dir). It never closes stderr: Nix 2.8 ends a build when the builder's stderr closes.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sandbox/base/escape.h"

extern char** environ;

namespace {

void Print(const std::string& key, const std::string& value) {
  std::string line = key + " " + sbx::EscapeBytes(value) + "\n";
  fwrite(line.data(), 1, line.size(), stdout);
}

// The errno's name for the few errors the observables can show; the number otherwise.
std::string ErrnoName(int err) {
  switch (err) {
    case 0:
      return "ok";
    case EPERM:
      return "EPERM";
    case EACCES:
      return "EACCES";
    case EROFS:
      return "EROFS";
    case ENOENT:
      return "ENOENT";
    case ENOTSUP:
      return "ENOTSUP";
    case EINVAL:
      return "EINVAL";
    case ENOSYS:
      return "ENOSYS";
    default:
      return "errno" + std::to_string(err);
  }
}

// The whole file, or "<ENAME>" when it cannot be read.
std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "<" + ErrnoName(errno) + ">";
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, sep)) parts.push_back(part);
  return parts;
}

std::string Join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

// Kernel map files pad with spaces; compare their fields, not their padding.
std::string Fields(const std::string& text) {
  std::vector<std::string> lines;
  for (const auto& line : Split(text, '\n')) {
    std::istringstream in(line);
    std::vector<std::string> words;
    std::string w;
    while (in >> w) words.push_back(w);
    if (!words.empty()) lines.push_back(Join(words, " "));
  }
  return Join(lines, "\n");
}

// The name of `id` in an /etc/passwd- or /etc/group-like file (first match), or "?".
std::string NameOf(const std::string& file, unsigned id) {
  for (const auto& line : Split(ReadFile(file), '\n')) {
    auto fields = Split(line, ':');
    if (fields.size() >= 3 && fields[2] == std::to_string(id)) return fields[0];
  }
  return "?";
}

std::string StatusField(const std::string& name) {
  for (const auto& line : Split(ReadFile("/proc/self/status"), '\n')) {
    if (line.rfind(name + ":", 0) == 0) return Fields(line.substr(name.size() + 1));
  }
  return "<absent>";
}

std::string ModeAndOwner(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) < 0) return "<" + ErrnoName(errno) + ">";
  char mode[8];
  snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
  return std::string(mode) + " " + std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid);
}

std::string Entries(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (!d) return "<" + ErrnoName(errno) + ">";
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return Join(names, " ");
}

std::string Writable(const std::string& path) {
  return access(path.c_str(), W_OK) == 0 ? "yes" : "no (" + ErrnoName(errno) + ")";
}

// The fields of the mountinfo line of the mount holding `path` (no symlink resolved): the
// last line whose mount point is the longest prefix of it.
std::vector<std::string> MountHolding(const std::string& path) {
  std::vector<std::string> best;
  for (const auto& line : Split(ReadFile("/proc/self/mountinfo"), '\n')) {
    auto f = Split(line, ' ');
    if (f.size() < 6) continue;
    const std::string& point = f[4];
    bool holds =
        path == point || point == "/" || (path.rfind(point, 0) == 0 && path[point.size()] == '/');
    if (holds && (best.empty() || point.size() >= best[4].size())) best = f;
  }
  return best;
}

// The flags that matter for a sandbox (ro, nosuid, nodev, noexec) of the mount holding
// `given`, symlinks resolved.
std::string MountFlags(const std::string& given) {
  char real[4096];
  if (!realpath(given.c_str(), real)) return "<" + ErrnoName(errno) + ">";
  // /bin/sh may be /usr/bin/sh on the /usr bind.
  const std::vector<std::string> mount = MountHolding(real);
  if (mount.empty()) return "";
  std::vector<std::string> kept;
  for (const auto& opt : Split(mount[5], ',')) {
    if (opt == "ro" || opt == "rw" || opt == "nosuid" || opt == "nodev" || opt == "noexec") {
      kept.push_back(opt);
    }
  }
  return Join(kept, ",");
}

std::string InterfaceList() {
  std::vector<std::string> names;
  auto lines = Split(ReadFile("/proc/net/dev"), '\n');
  for (size_t i = 2; i < lines.size(); ++i) {
    auto colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    std::string name = Fields(lines[i].substr(0, colon));
    if (!name.empty()) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return Join(names, " ");
}

std::string LoopbackState() {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return "<" + ErrnoName(errno) + ">";
  ifreq req{};
  strncpy(req.ifr_name, "lo", IFNAMSIZ - 1);
  int rc = ioctl(s, SIOCGIFFLAGS, &req);
  int err = errno;
  close(s);
  if (rc < 0) return "<" + ErrnoName(err) + ">";
  return (req.ifr_flags & IFF_UP) ? "up" : "down";
}

std::string OpenFds() {
  std::vector<int> fds;
  DIR* d = opendir("/proc/self/fd");
  if (!d) return "<" + ErrnoName(errno) + ">";
  for (dirent* e = readdir(d); e; e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd != dirfd(d)) fds.push_back(fd);
  }
  closedir(d);
  std::sort(fds.begin(), fds.end());
  std::vector<std::string> out;
  for (int fd : fds) out.push_back(std::to_string(fd));
  return Join(out, " ");
}

// chmod u+s, then a user xattr, on a fresh file in the working directory (spec: the Nix
// seccomp filter refuses setuid bits and extended attributes).
void FilePrivileges() {
  const char* name = "conformance-probe-file";
  unlink(name);
  int fd = open(name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0755);
  if (fd < 0) {
    const std::string why = "<create: " + ErrnoName(errno) + ">";
    Print("chmod.setuid", why);
    Print("setxattr", why);
    return;
  }
  close(fd);
  Print("chmod.setuid", ErrnoName(chmod(name, 04755) == 0 ? 0 : errno));
  Print("setxattr", ErrnoName(setxattr(name, "user.conformance", "1", 1, 0) == 0 ? 0 : errno));
  unlink(name);
}

// v2 (cgroup2 on /sys/fs/cgroup), hybrid (v1 hierarchies and a cgroup2 beside them), v1, or
// none, from the file system types in mountinfo.
std::string CgroupLayout() {
  bool v1 = false, v2 = false, v2_at_top = false;
  for (const auto& line : Split(ReadFile("/proc/self/mountinfo"), '\n')) {
    const size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    auto after = Split(line.substr(dash + 3), ' ');
    auto f = Split(line, ' ');
    if (after.empty() || f.size() < 5) continue;
    if (after[0] == "cgroup") v1 = true;
    if (after[0] == "cgroup2") {
      v2 = true;
      v2_at_top = v2_at_top || f[4] == "/sys/fs/cgroup";
    }
  }
  if (v2_at_top) return "v2";
  if (v1) return v2 ? "hybrid" : "v1";
  return v2 ? "v2" : "none";
}

// `probe --host-facts`, run outside any sandbox: what the expectations depend on here (the
// host, or a VM guest), one `fact.NAME value` line each; conformance.py fills the table's
// {placeholders} from them.
int PrintHostFacts() {
  // Every capability the running kernel has, as /proc/self/status shows a full set.
  const int last_cap = std::atoi(ReadFile("/proc/sys/kernel/cap_last_cap").c_str());
  char mask[32];
  snprintf(mask, sizeof mask, "%016llx", (2ULL << last_cap) - 1);
  Print("fact.cap_full", mask);
  // Nix's name for this system (x86_64-linux, aarch64-linux, i686-linux...).
  utsname uts{};
  uname(&uts);
  std::string machine = uts.machine;
  if (machine == "i386" || machine == "i586") machine = "i686";
  Print("fact.nix_system", machine + "-linux");
  // Nix and Lix give a sandbox /dev/ptmx only where the host has /dev/pts/ptmx.
  Print("fact.host_pts_ptmx", access("/dev/pts/ptmx", F_OK) == 0 ? "yes" : "no");
  // /dev/kvm: each sandbox decides by access(R_OK|W_OK) as its own user; the judge needs
  // the mode and owner to decide for each caller.
  struct stat kvm;
  Print("fact.kvm",
        stat("/dev/kvm", &kvm) == 0 && S_ISCHR(kvm.st_mode) ? ModeAndOwner("/dev/kvm") : "absent");
  // The adapters keep /nix, their copies and the sandboxes' TMPDIR on /tmp; /bin/sh is the
  // host's busybox: a bind shows the flags of its source's mount.
  Print("fact.flags_tmp", MountFlags("/tmp"));
  Print("fact.flags_busybox", MountFlags("/bin/busybox"));
  Print("fact.cores", std::to_string(sysconf(_SC_NPROCESSORS_ONLN)));  // Nix's build-cores
  // Printed with the verdicts, so that a reader knows which host a result holds for.
  Print("fact.cgroup", CgroupLayout());
  const std::vector<std::string> usr = MountHolding("/usr");
  Print("fact.usr_own_mount", !usr.empty() && usr[4] == "/usr" ? "yes" : "no");
  fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--host-facts") == 0) return PrintHostFacts();
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  getresuid(&ruid, &euid, &suid);
  getresgid(&rgid, &egid, &sgid);
  Print("uid", std::to_string(ruid) + " " + std::to_string(euid) + " " + std::to_string(suid));
  Print("gid", std::to_string(rgid) + " " + std::to_string(egid) + " " + std::to_string(sgid));
  std::vector<gid_t> groups(getgroups(0, nullptr));
  groups.resize(getgroups(groups.size(), groups.data()));
  std::vector<std::string> group_list;
  for (gid_t g : groups) group_list.push_back(std::to_string(g));
  Print("groups", Join(group_list, " "));
  Print("user.name", NameOf("/etc/passwd", euid));
  Print("group.name", NameOf("/etc/group", egid));
  for (const char* cap : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    Print(std::string("status.") + cap, StatusField(cap));
  }
  Print("status.NoNewPrivs", StatusField("NoNewPrivs"));
  Print("status.Seccomp", StatusField("Seccomp"));
  Print("uid_map", Fields(ReadFile("/proc/self/uid_map")));
  Print("gid_map", Fields(ReadFile("/proc/self/gid_map")));
  Print("setgroups", Fields(ReadFile("/proc/self/setgroups")));
  Print("etc.passwd", ReadFile("/etc/passwd"));
  Print("etc.group", ReadFile("/etc/group"));
  Print("etc.hosts", ReadFile("/etc/hosts"));
  Print("etc.entries", Entries("/etc"));
  Print("stat./etc/passwd", ModeAndOwner("/etc/passwd"));
  Print("stat./etc/group", ModeAndOwner("/etc/group"));
  utsname uts{};
  uname(&uts);
  Print("hostname", uts.nodename);
  Print("domainname", uts.domainname);
  Print("pid", std::to_string(getpid()));
  Print("ppid", std::to_string(getppid()));
  Print("net.interfaces", InterfaceList());
  Print("net.lo", LoopbackState());
  char cwd[4096] = ".";
  Print("cwd", getcwd(cwd, sizeof cwd) ? cwd : "<" + ErrnoName(errno) + ">");
  Print("stat.cwd", ModeAndOwner("."));
  Print("stat./", ModeAndOwner("/"));
  Print("dev.entries", Entries("/dev"));
  std::vector<std::string> env;
  for (char** var = environ; *var; ++var) env.push_back(*var);
  std::sort(env.begin(), env.end());
  for (const auto& var : env) {
    auto eq = var.find('=');
    Print("env." + var.substr(0, eq), eq == std::string::npos ? "" : var.substr(eq + 1));
  }
  Print("fds", OpenFds());
  for (const char* path : {"/", "/etc", "/etc/passwd", "/tmp", "/dev", "/proc", ".", "/bin/sh"}) {
    std::string p = path;
    if (p == "." || access(path, F_OK) == 0) {
      Print("writable." + p, Writable(p));
      Print("mount." + p, MountFlags(p == "." ? cwd : p));
    }
  }
  // The probe itself: a host file the sandbox was given, wherever the adapter put it.
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    Print("writable.self", Writable(self));
    Print("mount.self", MountFlags(self));
  }
  FilePrivileges();
  int sig = -1;
  prctl(PR_GET_PDEATHSIG, &sig);
  Print("pdeathsig", std::to_string(sig));
  Print("cgroup", ReadFile("/proc/self/cgroup"));
  fflush(stdout);
  return 0;
}
