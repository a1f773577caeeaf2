#include "integration/fault_injection.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <regex>

#include "sandbox/base/unique_fd.h"
#include "testing/scratch_dir.h"

namespace sbx::faults {
namespace {

using testing::NoChildrenLeft;
using testing::ReadAvailable;
using testing::ReadFile;

// The calls of a trace, each with "#K" for the K-th time its process made that syscall.
std::vector<std::string> Numbered(const std::vector<std::string>& trace) {
  std::map<std::string, int> seen;
  std::vector<std::string> out;
  for (const std::string& entry : trace) {
    const std::string who = entry.substr(0, entry.find(' ', entry.find(' ') + 1));
    out.push_back(entry + " #" + std::to_string(++seen[who]));
  }
  return out;
}

}  // namespace

StartRun FaultInjectionTest::Start(const StartConfig& config, const OpenSlave& slave,
                                   FaultScope scope, int nth, int error, int also, int also_error) {
  int marker[2];
  EXPECT_EQ(pipe2(marker, O_CLOEXEC), 0);
  UniqueFd marker_read(marker[0]), marker_write(marker[1]);
  if (!config.sandbox_root.empty()) {
    for (const char* name : {"/etc/passwd", "/etc/group"}) {
      unlink((config.sandbox_root + name).c_str());
    }
  }
  StartRun run;
  sys::FailNthCall(nth, error, scope);
  if (also) sys::AlsoFailNthCall(also, also_error);
  try {
    Child child = StartChild(
        config, slave, [fd = marker[1]]() -> int { return write(fd, "ran", 3) == 3 ? 0 : 1; });
    run.trace = Numbered(sys::CallTrace());
    sys::FailNthCall(0, 0);
    run.clone_path = child.clone_path();
    run.pidfd = child.pidfd();
    EXPECT_EQ(child.Wait(), 0);
  } catch (const SysError& e) {
    run.trace = Numbered(sys::CallTrace());
    sys::FailNthCall(0, 0);
    run.failed = true;
    run.error = e;
  }
  marker_write.reset();
  run.user_code = ReadAvailable(marker_read.get());
  EXPECT_TRUE(NoChildrenLeft()) << "a process was left behind";
  if (config.cgroup) EXPECT_EQ(ReadFile(*config.cgroup + "/cgroup.procs"), "");
  return run;
}

std::string Show(const StartRun& run) {
  std::string text = run.failed ? std::string("failed: ") + run.error.what() : "succeeded";
  for (const std::string& call : run.trace) text += "\n  " + call;
  return text;
}

void Expect(const StartRun& run, const Outcome& outcome, int error, const std::string& call) {
  SCOPED_TRACE(call + " failing with " + strerrorname_np(error) + ": " + Show(run));
  if (outcome.step.empty()) {
    EXPECT_FALSE(run.failed) << "listed as harmless: " << outcome.harmless_because;
    EXPECT_EQ(run.user_code, "ran");
    return;
  }
  ASSERT_TRUE(run.failed) << "a failure that should surface was swallowed";
  EXPECT_TRUE(std::regex_search(run.error.step(), std::regex(outcome.step)))
      << "step \"" << run.error.step() << "\", expected /" << outcome.step << "/";
  EXPECT_EQ(run.error.error(), error) << run.error.what();
  EXPECT_EQ(run.user_code, "") << "user code ran after a failed start";
}

Scratch::Scratch() {
  char root[] = "/tmp/sbx-faults-root-XXXXXX";
  if (mkdtemp(root) == nullptr) return;
  root_ = root;
  mkdir((root_ + "/etc").c_str(), 0755);
  const std::string base = testing::CgroupBase();
  if (!base.empty()) {
    cgroup_ = base + "/sbx-faults-" + std::to_string(getpid());
    if (mkdir(cgroup_.c_str(), 0755) != 0) cgroup_.clear();
  }
}

Scratch::~Scratch() {
  if (!cgroup_.empty()) rmdir(cgroup_.c_str());
  testing::ScratchDir::RemoveAll(root_);
}

std::vector<FaultSetup> Setups(StartMode mode, const Scratch& scratch) {
  std::vector<FaultSetup> setups;
  setups.push_back({"plain", StartConfig{.mode = mode}, nullptr});
  setups.push_back({"slave", StartConfig{.mode = mode}, [] {}});
  for (bool fallback : {false, true}) {
    StartConfig config{.mode = mode};
    config.sandbox_root = scratch.root();
    if (!scratch.cgroup().empty()) config.cgroup = scratch.cgroup();
    config.force_clone_fallback = fallback;
    setups.push_back({fallback ? "root, fallback" : "root", config, nullptr});
  }
  return setups;
}

bool UsesLauncher(StartMode mode, const FaultSetup& setup) {
  return mode == StartMode::kFast && (setup.slave || getgroups(0, nullptr) > 0);
}

}  // namespace sbx::faults
