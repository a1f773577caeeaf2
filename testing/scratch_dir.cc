#include "testing/scratch_dir.h"

#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "testing/file_read.h"

namespace sbx::testing {
namespace {

int RemoveEntry(const char* path, const struct stat*, int type, struct FTW*) {
  (type == FTW_DP ? rmdir : unlink)(path);
  return 0;
}

void AddTree(const std::string& dir, const std::string& prefix,
             std::map<std::string, std::string>& entries) {
  DIR* d = opendir(dir.c_str());
  if (!d) {
    entries[prefix + "(cannot open)"] = std::strerror(errno);
    return;
  }
  while (const dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = dir + "/" + name, rel = prefix + name;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      char target[4096];
      const ssize_t n = readlink(path.c_str(), target, sizeof target);
      entries[rel] = "link:" + std::string(target, n > 0 ? n : 0);
    } else if (S_ISDIR(st.st_mode)) {
      entries[rel] = "dir";
      AddTree(path, rel + "/", entries);
    } else if (S_ISREG(st.st_mode)) {
      entries[rel] = "file:" + ReadWholeFile(path).value_or("(unreadable)");
    } else {
      entries[rel] = "other";
    }
  }
  closedir(d);
}

}  // namespace

std::map<std::string, std::string> TreeOf(const std::string& dir) {
  std::map<std::string, std::string> entries;
  AddTree(dir, "", entries);
  return entries;
}

ScratchDir::ScratchDir(const std::string& prefix) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  if (mkdtemp(tmpl.data())) path_ = tmpl;
}

void ScratchDir::RemoveAll(const std::string& path) {
  if (!path.empty() && access(path.c_str(), F_OK) == 0) {
    nftw(path.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  }
}

}  // namespace sbx::testing
