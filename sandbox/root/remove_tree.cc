#include "sandbox/root/remove_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "sandbox/base/unique_fd.h"

namespace sbx {
namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// The device of `fd`, or nothing where it is the root of a mount (Linux 5.8+ says so; a bind
// mount of the same file system has the same device, so the device alone cannot tell).
std::optional<dev_t> DeviceUnlessMountRoot(int fd) {
  struct statx stx;
  if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE, &stx) < 0) return {};
  if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
      (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) {
    return {};
  }
  return makedev(stx.stx_dev_major, stx.stx_dev_minor);
}

// Opens the directory `name` beneath `at`, never through a symlink. One whose mode keeps us
// out (a builder's chmod 000) is opened up first, through an O_PATH fd of that very inode.
UniqueFd OpenDir(int at, const char* name) {
  UniqueFd dir(openat(at, name, kDirFlags));
  if (dir || errno != EACCES) return dir;
  UniqueFd path(openat(at, name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
  struct stat st;
  if (!path || fstat(path.get(), &st) < 0 || !S_ISDIR(st.st_mode)) return UniqueFd();
  char proc_path[64];
  std::snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", path.get());
  if (chmod(proc_path, 0700) < 0) return UniqueFd();
  return UniqueFd(openat(at, name, kDirFlags));
}

bool SameInode(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Unlinks every entry of `dir` that is not a directory, and every empty directory; returns
// the names of the directories left to walk. The names are read first, then unlinked.
std::vector<std::string> UnlinkEntries(int dir) {
  fchmod(dir, 0700);  // so that we may unlink in it; fails harmlessly where not ours
  std::vector<std::string> names, subdirs;
  const int listing = fcntl(dir, F_DUPFD_CLOEXEC, 0);
  DIR* stream = listing < 0 ? nullptr : fdopendir(listing);
  if (!stream) {
    if (listing >= 0) close(listing);
    return subdirs;
  }
  while (const dirent* entry = readdir(stream)) {
    if (std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0) {
      names.emplace_back(entry->d_name);
    }
  }
  closedir(stream);
  for (std::string& name : names) {
    if (unlinkat(dir, name.c_str(), 0) == 0 || errno != EISDIR) continue;
    if (unlinkat(dir, name.c_str(), AT_REMOVEDIR) < 0) subdirs.push_back(std::move(name));
  }
  return subdirs;
}

}  // namespace

bool RemoveTreeAt(int at, const char* name) {
  UniqueFd current = OpenDir(at, name);
  if (!current) {
    if (errno == ENOTDIR || errno == ELOOP) return unlinkat(at, name, 0) == 0 || errno == ENOENT;
    return errno == ENOENT;
  }
  const std::optional<dev_t> device = DeviceUnlessMountRoot(current.get());
  if (!device) return false;  // a mount: not ours to empty

  // Depth first, holding one directory fd: each level keeps its name and the directories
  // still to walk, and the walk climbs back through "..", checked against the inode it left.
  struct Level {
    std::string name;
    std::vector<std::string> to_walk;
  };
  std::vector<Level> levels;
  levels.push_back({name, UnlinkEntries(current.get())});
  bool complete = true;
  while (true) {
    if (!levels.back().to_walk.empty()) {
      std::string child_name = std::move(levels.back().to_walk.back());
      levels.back().to_walk.pop_back();
      UniqueFd child = OpenDir(current.get(), child_name.c_str());
      if (!child || DeviceUnlessMountRoot(child.get()) != device) {
        complete = false;  // unopenable, or a mount the builder's namespace left: kept
        continue;
      }
      current = std::move(child);
      levels.push_back({std::move(child_name), UnlinkEntries(current.get())});
      continue;
    }
    if (levels.size() == 1) break;
    struct stat left, seen_from_parent;
    UniqueFd parent(openat(current.get(), "..", kDirFlags));
    if (fstat(current.get(), &left) < 0 || !parent ||
        fstatat(parent.get(), levels.back().name.c_str(), &seen_from_parent, AT_SYMLINK_NOFOLLOW) <
            0 ||
        !SameInode(left, seen_from_parent)) {
      return false;  // the tree moved under us: stop rather than guess where we are
    }
    current = std::move(parent);
    if (unlinkat(current.get(), levels.back().name.c_str(), AT_REMOVEDIR) < 0) complete = false;
    levels.pop_back();
  }
  current.reset();
  return unlinkat(at, name, AT_REMOVEDIR) == 0 && complete;
}

bool RemoveTree(const std::string& path) { return RemoveTreeAt(AT_FDCWD, path.c_str()); }

}  // namespace sbx
