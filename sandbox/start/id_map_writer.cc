#include "sandbox/start/id_map_writer.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>
#include <string>
#include <vector>

#include "sandbox/base/sys_error.h"
#include "sandbox/base/syscalls.h"
#include "sandbox/base/unique_fd.h"
#include "sandbox/start/proc_file.h"

extern char** environ;

namespace sbx {
namespace {

// One write of the whole content; returns errno, 0 on success.
int WriteProcFile(pid_t pid, const ProcWrite& w) {
  UniqueFd fd = OpenProcFile(pid, UsernsFileName(w.file), O_WRONLY);
  if (!fd) return errno;
  ssize_t n = sys::Write(fd.get(), w.content.data(), w.content.size());
  if (n < 0) return errno;
  return n == static_cast<ssize_t>(w.content.size()) ? 0 : EIO;
}

// newuidmap PID INSIDE OUTSIDE COUNT... for the extents in content.
int RunNewIdMap(const char* tool, pid_t pid, const std::string& content) {
  std::vector<std::string> args = {tool, std::to_string(pid)};
  std::istringstream fields(content);
  for (std::string field; fields >> field;) args.push_back(field);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t child;
  if (int error = posix_spawnp(&child, tool, nullptr, nullptr, argv.data(), environ)) {
    return error;
  }
  int status = 0;
  while (sys::WaitPid(child, &status, 0) < 0) {
    if (errno != EINTR) return errno;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : EPERM;
}

bool NeedsHelper(const ProcWrite& w, int error) {
  return error == EPERM && geteuid() != 0 && w.file != UsernsFile::kSetgroups;
}

}  // namespace

void WriteIdMaps(pid_t pid, const Identity& identity) {
  for (const ProcWrite& w : identity.writes) {
    int error = WriteProcFile(pid, w);
    if (error != 0 && NeedsHelper(w, error)) {
      const bool uid = w.file == UsernsFile::kUidMap;
      const char* tool = uid ? "newuidmap" : "newgidmap";
      if (RunNewIdMap(tool, pid, w.content) == 0) continue;
      throw SysError(std::string("writing ") + UsernsFileName(w.file) + " \"" + w.content +
                         "\" (directly and with " + tool + "; check /etc/sub" +
                         (uid ? "uid" : "gid") + ")",
                     error);
    }
    if (error != 0) {
      throw SysError(std::string("writing ") + UsernsFileName(w.file) + " \"" + w.content + "\"",
                     error);
    }
  }
}

}  // namespace sbx
