// The seed's way (spec 4-9): fork a single-threaded helper (clone() from a multi-threaded
// process would skip at-fork handlers); the helper opens the pty slave before
// CLONE_NEWUSER, drops supplementary groups, clones the builder with CLONE_PARENT so that
// it is the parent's child, sends its pid back as one decimal line and exits.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "sandbox/base/sys_error.h"
#include "sandbox/base/syscalls.h"
#include "sandbox/base/unique_fd.h"
#include "sandbox/rules/pid_line.h"
#include "sandbox/start/launcher.h"

namespace sbx {
namespace {

constexpr size_t kBuilderStackSize = 1 << 20;

// Spec 8: one line, not to EOF: the builder holds a copy of the write end until it execs.
// A failing helper writes its message instead and exits, so EOF ends that. Appends to
// *line as it goes, so a caller that catches a failure still has what was read.
void ReadLine(int fd, std::string* line) {
  char c;
  for (;;) {
    ssize_t n = sys::Read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw SysError("reading the builder's pid from the helper", errno);
    if (n == 0) return;
    *line += c;
    if (c == '\n') return;
  }
}

void WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = sys::Write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw SysError("sending the builder's pid", errno);
    done += static_cast<size_t>(n);
  }
}

// A pid from the helper is used only if it names a child of ours (CLONE_PARENT makes the
// builder one): a broken helper must not make us write maps to, or kill, anyone else.
bool IsOurChild(pid_t pid) {
  siginfo_t info;
  return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

// A failing helper's report: "!BUILDER ERROR" where BUILDER is the pid of a builder it had
// already cloned and killed (which only the parent can reap), or -1, and ERROR is the
// SysError's Encode(). A succeeding helper sends a pid line instead (pid_line.h).
struct HelperFailure {
  pid_t killed_builder = -1;
  SysError error;
};

std::string EncodeHelperFailure(pid_t killed_builder, const SysError& error) {
  return "!" + std::to_string(killed_builder) + " " + error.Encode();
}

// nullopt when `text` is not a failure report (a helper that died before writing one).
std::optional<HelperFailure> DecodeHelperFailure(const std::string& text) {
  const size_t space = text.find(' ');
  if (text.empty() || text[0] != '!' || space == std::string::npos) return std::nullopt;
  const std::string pid = text.substr(1, space - 1);
  if (pid != "-1" && !ParsePidLine(pid + "\n", nullptr)) return std::nullopt;
  return HelperFailure{pid == "-1" ? -1 : *ParsePidLine(pid + "\n", nullptr),
                       SysError::Decode(std::string_view(text).substr(space + 1))};
}

// All the helper wrote after `output`; it has exited, so everything is in the pipe.
std::string ReadRest(std::string output, int fd) {
  fcntl(fd, F_SETFL, O_NONBLOCK);
  char buf[256];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) output.append(buf, static_cast<size_t>(n));
  return output;
}

// A word of memory the helper shares with us, where the kernel writes the builder's pid
// before the helper's clone returns (CLONE_PARENT_SETTID): a helper killed after the clone,
// before it could send the pid, still leaves it.
class SharedPid {
 public:
  SharedPid() {
    void* page =
        mmap(nullptr, sizeof(pid_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) throw SysError("mapping a page shared with the helper", errno);
    pid_ = static_cast<pid_t*>(page);
  }
  ~SharedPid() { munmap(pid_, sizeof(pid_t)); }
  SharedPid(const SharedPid&) = delete;
  SharedPid& operator=(const SharedPid&) = delete;
  pid_t* get() const { return pid_; }
  pid_t value() const { return __atomic_load_n(pid_, __ATOMIC_ACQUIRE); }

 private:
  pid_t* pid_;
};

// Reaps the builder the helper made, if any: the kernel's word for it (`cloned`), else the
// one its output names, a pid line (the helper succeeded, but we failed) or a failure
// report's killed builder. Plain syscalls: this is the cleanup after a failure.
void ReapBuilderNamedIn(const std::string& output, pid_t cloned) {
  pid_t pid = cloned;
  if (pid > 0) {
    // the kernel's word
  } else if (std::optional<pid_t> line = ParsePidLine(output, nullptr)) {
    pid = *line;
  } else if (std::optional<HelperFailure> failure = DecodeHelperFailure(output)) {
    pid = failure->killed_builder;
  }
  if (pid > 0 && IsOurChild(pid)) KillAndReap(pid);
}

class LixLauncher : public Launcher {
 public:
  LixLauncher(const StartPlan& plan, const OpenSlave& open_slave)
      : plan_(plan), open_slave_(open_slave) {}

  pid_t Launch(ChildEntryArgs& entry) override {
    int fds[2];
    if (sys::Pipe2(fds, O_CLOEXEC) < 0) throw SysError("creating the sendPid pipe", errno);
    UniqueFd read_pid(fds[0]), send_pid(fds[1]);
    SharedPid cloned;
    pid_t helper = sys::Fork();
    if (helper < 0) throw SysError("forking the helper", errno);
    if (helper == 0) {
      read_pid.reset();
      RunHelper(entry, send_pid.get(), cloned.get());
    }
    send_pid.reset();
    int status = 0;
    std::string line;
    try {
      while (sys::WaitPid(helper, &status, 0) < 0) {
        if (errno != EINTR) throw SysError("waiting for the helper", errno);
      }
      // Only a helper that succeeded has sent its whole line. One killed after the clone
      // sent none, and its builder holds the write end: the line would never come.
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) ReadLine(read_pid.get(), &line);
    } catch (const SysError&) {
      // Let the helper finish (it is short-lived), then reap the builder it may have made:
      // that one is our child.
      waitpid(helper, nullptr, 0);
      ReapBuilderNamedIn(ReadRest(line, read_pid.get()), cloned.value());
      throw;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      const std::string output = ReadRest(line, read_pid.get());
      ReapBuilderNamedIn(output, cloned.value());
      // nix#11664: say why, with the helper's own error, errno and all.
      const std::string context =
          "unable to start build process: helper " + DescribeWaitStatus(status);
      if (std::optional<HelperFailure> failure = DecodeHelperFailure(output)) {
        throw failure->error.Within(context);
      }
      throw SysError(context + (output.empty() ? "" : ": " + output), 0);
    }
    std::string why;
    std::optional<pid_t> pid = ParsePidLine(line, &why);
    if (!pid) throw SysError("unable to start build process: " + why, EPROTO);
    if (!IsOurChild(*pid)) {
      throw SysError("unable to start build process: the helper sent pid " + std::to_string(*pid) +
                         ", which is not our child",
                     EPROTO);
    }
    return *pid;
  }

 private:
  [[noreturn]] void RunHelper(ChildEntryArgs& entry, int send_pid, pid_t* cloned) {
    pid_t builder = -1;
    try {
      // Without it a helper outlives a killed parent (spec 5): no start without it.
      if (sys::Prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
        throw SysError("setting the helper's death signal", errno);
      }
      if (open_slave_) open_slave_();  // before CLONE_NEWUSER (nix#8072)
      DropSupplementaryGroups(plan_.require_drop_supplementary_groups);
      void* stack = mmap(nullptr, kBuilderStackSize, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
      if (stack == MAP_FAILED) throw SysError("allocating the builder's stack", errno);
      int flags = plan_.clone_flags | CLONE_PARENT | CLONE_PARENT_SETTID | SIGCHLD;
      builder = sys::Clone(ChildEntry, static_cast<char*>(stack) + kBuilderStackSize, flags, &entry,
                           nullptr, cloned);
      if (builder < 0) throw SysError("cloning the builder", errno);
      WriteAll(send_pid, FormatPidLine(builder));
      _exit(0);
    } catch (const SysError& e) {
      FailHelper(send_pid, builder, e);
    } catch (const std::exception& e) {  // an open_slave of the caller's
      FailHelper(send_pid, builder, SysError(e.what(), 0));
    }
  }

  // The builder, if cloned, is the parent's child (CLONE_PARENT): kill it and tell the
  // parent whom to reap, with the error.
  [[noreturn]] static void FailHelper(int send_pid, pid_t builder, const SysError& error) {
    if (builder > 0) kill(builder, SIGKILL);
    const std::string report = EncodeHelperFailure(builder, error);
    (void)!write(send_pid, report.data(), report.size());
    _exit(1);
  }

  const StartPlan& plan_;
  const OpenSlave& open_slave_;
};

}  // namespace

std::unique_ptr<Launcher> MakeLixLauncher(const StartPlan& plan, const OpenSlave& open_slave) {
  return std::make_unique<LixLauncher>(plan, open_slave);
}

}  // namespace sbx
