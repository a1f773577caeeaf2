// What `sbx run` returns and prints, in both modes: the command's exit status, 128+N for
// its death by signal N, 127, 126 and 125 as env(1) and chroot(1) have them, a clear error
// where user namespaces are forbidden, and --timing's one JSON line. Cases of the
// sbx_run_test suite (sbx_run_fixture.h).
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "integration/sbx_run_fixture.h"
#include "sandbox/base/unique_fd.h"
#include "testing/sbx_process.h"
#include "testing/scratch_dir.h"
#include "testing/util.h"

namespace sbx {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::Outcome;

TEST_P(SbxRunTest, ExitStatusComesThrough) { EXPECT_EQ(Run("exit 7").exit_code, 7); }

// A child of `parent` whose comm is `comm` ("sleep\n"), looked for for up to 10 s; -1 if none.
pid_t ChildNamed(pid_t parent, const std::string& comm) {
  const std::string children =
      "/proc/" + std::to_string(parent) + "/task/" + std::to_string(parent) + "/children";
  for (int i = 0; i < 1000; ++i) {
    std::istringstream pids(testing::ReadFile(children));
    for (pid_t pid; pids >> pid;) {
      if (testing::ReadFile("/proc/" + std::to_string(pid) + "/comm") == comm) return pid;
    }
    usleep(10000);
  }
  return -1;
}

// Starts `sbx run --mode MODE -- /bin/sleep SECONDS` with stdout on `out` (when given).
pid_t StartSbxSleeping(const std::string& mode, const char* seconds, int out = -1) {
  const std::string path = testing::SbxPath();
  pid_t sbx = fork();
  if (sbx == 0) {
    if (out >= 0) dup2(out, 1);
    execl(path.c_str(), "sbx", "run", "--mode", mode.c_str(), "--", "/bin/sleep", seconds, nullptr);
    _exit(99);
  }
  return sbx;
}

// pid 1 ignores signals sent from inside its namespace, so the signal comes from outside, as
// it would from a daemon killing a build.
TEST_P(SbxRunTest, DeathBySignalIs128PlusN) {
  pid_t sbx = StartSbxSleeping(GetParam(), "30");
  ASSERT_GE(sbx, 0);
  // The builder is the child of sbx that has exec'd sleep (in lix mode the helper comes first).
  const pid_t builder = ChildNamed(sbx, "sleep\n");
  ASSERT_GT(builder, 0) << "sbx started no builder running sleep";
  kill(builder, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(sbx, &status, 0), sbx);
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 128 + 9);
}

// sbx's leftover guard shares its fd table and ends after it; sbx closes its stdio before
// exiting, so that a reader of its output sees the end at sbx's exit, not at the guard's.
// The guard is held in a ptrace stop here (a SIGSTOP would not hold: the SIGCONT the kernel
// sends to an orphaned process group ends it): only sbx's own close can bring the end.
TEST_P(SbxRunTest, OutputEndsWhenSbxExitsNotWhenItsGuardDoes) {
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  pid_t sbx = StartSbxSleeping(GetParam(), "1", out[1]);
  close(out[1]);
  ASSERT_GE(sbx, 0);
  ASSERT_GT(ChildNamed(sbx, "sleep\n"), 0) << "sbx started no builder running sleep";
  const pid_t guard = ChildNamed(sbx, "sbx\n");  // by now, sbx's only child of that name
  ASSERT_GT(guard, 0) << "no leftover guard";
  if (ptrace(PTRACE_SEIZE, guard, nullptr, nullptr) < 0) {
    const int error = errno;
    waitpid(sbx, nullptr, 0);
    GTEST_SKIP() << "cannot hold sbx's guard: ptrace: " << std::strerror(error);
  }
  ASSERT_EQ(ptrace(PTRACE_INTERRUPT, guard, nullptr, nullptr), 0);
  ASSERT_EQ(waitpid(guard, nullptr, __WALL), guard);  // stopped
  int status = 0;
  ASSERT_EQ(waitpid(sbx, &status, 0), sbx);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  struct pollfd end = {.fd = out[0], .events = POLLIN, .revents = 0};
  const int ready = poll(&end, 1, 5000);
  ptrace(PTRACE_DETACH, guard, nullptr, nullptr);
  close(out[0]);
  EXPECT_EQ(ready, 1) << "sbx's stdout stayed open after its exit (held by its guard)";
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
  // One line: the builder, cloned before the root is filled in fast mode, is aborted and
  // leaves the explaining to sbx.
  EXPECT_THAT(WithoutSanitizerNotes(o.err), MatchesRegex("sbx: error: [^\n]*\n"));
  ASSERT_TRUE(testing::ScratchDir::RemoveAll(root));
}

TEST_P(SbxRunTest, TimingIsOneJsonLine) {
  Outcome o = testing::Sbx({"run", "--mode", GetParam(), "--timing", "--", "/bin/true"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(
      WithoutSanitizerNotes(o.err),
      MatchesRegex(
          "\\{\"setup\":[0-9]+,\"clone\":[0-9]+,\"prepare\":[0-9]+,"
          "\"maps\":[0-9]+,\"files\":[0-9]+,\"nsfds\":[0-9]+,"
          "\"cgroup\":[0-9]+,\"release\":[0-9]+,\"handoff\":[0-9]+,\"clone_to_release\":[0-9]+,"
          "\"call_to_release\":[0-9]+,\"paths\":\\{\"clone\":\"clone3?\","
          "\"mount\":\"(mount_setattr|remount)\",\"root\":\"[a-z]+\"\\}\\}\n"));
  // A fresh root is a private tmpfs wherever this process could make one itself.
  const std::string root = testing::PrivateTmpfsUnavailableReason().empty() ? "tmpfs" : "directory";
  EXPECT_THAT(o.err, HasSubstr("\"root\":\"" + root + "\"}"));
  // The call-to-release headline holds the clone-to-release one and everything before it.
  long setup = 0, prepare = 0, files = 0, clone_to_release = 0, call_to_release = 0;
  ASSERT_EQ(std::sscanf(WithoutSanitizerNotes(o.err).c_str(),
                        "{\"setup\":%ld,\"clone\":%*d,\"prepare\":%ld,\"maps\":%*d,"
                        "\"files\":%ld,\"nsfds\":%*d,\"cgroup\":%*d,"
                        "\"release\":%*d,\"handoff\":%*d,\"clone_to_release\":%ld,"
                        "\"call_to_release\":%ld",
                        &setup, &prepare, &files, &clone_to_release, &call_to_release),
            5);
  EXPECT_GE(call_to_release, clone_to_release + setup);
  // sbx's preparation of the root, and the files, are part of the start: in fast mode after
  // the clone (while the builder makes its network namespace), in lix before it.
  if (std::string(GetParam()) == "fast") {
    EXPECT_GE(clone_to_release, prepare + files);
  } else {
    EXPECT_GE(call_to_release, clone_to_release + prepare);
  }
  // Forced fallbacks are taken and reported.
  setenv("SBX_FORCE_FALLBACK", "clone,mount,root", 1);
  o = testing::Sbx({"run", "--mode", GetParam(), "--timing", "--", "/bin/true"});
  unsetenv("SBX_FORCE_FALLBACK");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.err, HasSubstr("\"paths\":{\"clone\":\"clone\",\"mount\":\"remount\","
                               "\"root\":\"directory\"}"));
}

// The leftover guard lists what it removes one path a line. A path with a newline, as
// $TMPDIR or as --cgroup, is refused before anything exists: inotify on the directory the
// build dir or the cgroup would go into sees nothing made there, not even for a moment.
TEST_P(SbxRunTest, PathsTheGuardCannotListAreRefusedBeforeAnythingIsMade) {
  testing::ScratchDir scratch("sbx-newline");
  ASSERT_FALSE(scratch.path().empty());
  const std::string odd = scratch.path() + "/a\nb";
  ASSERT_EQ(mkdir(odd.c_str(), 0755), 0);
  UniqueFd watch(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  ASSERT_TRUE(watch);
  ASSERT_GE(inotify_add_watch(watch.get(), odd.c_str(), IN_CREATE), 0);
  ASSERT_GE(inotify_add_watch(watch.get(), scratch.path().c_str(), IN_CREATE), 0);
  auto tmpdir_is_odd = [&odd] { return setenv("TMPDIR", odd.c_str(), 1) == 0; };
  const std::vector<std::pair<Outcome, std::string>> runs = {
      {testing::Sbx({"run", "--mode", GetParam(), "--", "/bin/true"}, "", std::nullopt,
                    tmpdir_is_odd),
       "$TMPDIR"},
      {testing::Sbx(
           {"run", "--mode", GetParam(), "--cgroup", scratch.path() + "/c\nd", "--", "/bin/true"}),
       "--cgroup"}};
  for (const auto& [o, what] : runs) {
    EXPECT_EQ(o.exit_code, 125) << what << ": " << o.err;
    EXPECT_THAT(o.err, HasSubstr("sbx: error: " + what + " has a newline")) << what;
    EXPECT_THAT(o.err, HasSubstr("nothing was made")) << what;
  }
  char events[4096];
  EXPECT_LT(read(watch.get(), events, sizeof events), 0) << "something was made";
  EXPECT_EQ(errno, EAGAIN);
}

// Spec 2-3: where user namespaces are forbidden (a nesting limit of 0, set inside one of our
// own), sbx says so, with the probe's findings, and leaves nothing behind: sbx probes only
// once its start has failed, so the build dir it made first must be gone too.
TEST_P(SbxRunTest, NoUserNamespacesIsAClearError) {
  testing::ScratchDir tmpdir("sbx-no-userns-tmpdir");
  ASSERT_FALSE(tmpdir.path().empty());
  const std::string tmp = tmpdir.path();
  auto forbid_user_namespaces = [&tmp] {
    FILE* limit = nullptr;
    const bool limited = unshare(CLONE_NEWUSER) == 0 &&
                         (limit = fopen("/proc/sys/user/max_user_namespaces", "w")) &&
                         fputs("0", limit) >= 0 && fclose(limit) == 0;
    return limited && setenv("TMPDIR", tmp.c_str(), 1) == 0;
  };
  Outcome o = testing::Sbx({"run", "--mode", GetParam(), "--", "/bin/true"}, "", std::nullopt,
                           forbid_user_namespaces);
  if (o.exit_code == testing::kChildSetupFailed) {
    GTEST_SKIP() << "cannot limit user namespaces here";
  }
  EXPECT_EQ(o.exit_code, 125);
  EXPECT_THAT(o.err, HasSubstr("sbx: error: cannot perform a sandboxed build because user "
                               "namespaces are not available ("));
  EXPECT_THAT(o.err, HasSubstr("user.max_user_namespaces: 0"));
  EXPECT_TRUE(testing::TreeOf(tmpdir.path()).empty()) << "a build dir was left in $TMPDIR";
}

}  // namespace
}  // namespace sbx
