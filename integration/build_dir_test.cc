// The build dir `sbx run` gives a builder (spec 29, as Nix's): a host directory on disk
// beneath $TMPDIR, and removed afterwards whatever a hostile builder left in it, also when
// sbx is killed and its guard cleans up, with nothing outside it changed. Each case runs
// with TMPDIR a scratch dir of its own, holding an "outside" dir the builder's links point
// at. Runs as root and rootless, on the host and in the VM (integration/BUILD.bazel).
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/sbx_process.h"
#include "testing/scratch_dir.h"
#include "testing/util.h"

namespace sbx {
namespace {

using ::testing::HasSubstr;

// What the hostile builder makes in /build, then it says "ready" and waits for "go": a chain
// 10 000 directories deep (grown from the top by renames: no path gets longer than PATH_MAX), 100 000 files, names with newlines, a FIFO, a symlink to a host
// file by its absolute path, directories of mode 000 (one of them holding files).
constexpr char kHostileBuilder[] = R"sh(set -e
cd /build
mkdir deep many locked locked/inner
touch deep/bottom
p=$(printf 'd/%.0s' $(seq 500))
for i in $(seq 20); do mkdir -p "x/$p"; mv deep "x/$p"; mv x deep; done
(cd many && seq 1 100000 | xargs touch)
touch "$(printf 'new\nline')" locked/inner/file
mkfifo fifo
ln -s "$OUTSIDE/sentinel" to-host
chmod 000 locked/inner locked
touch ready
while [ ! -e go ]; do sleep 0.05; done
)sh";

class BuildDirTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string why = testing::UserNamespaceUnavailableReason();
    if (!why.empty()) GTEST_SKIP() << why;
    ASSERT_FALSE(tmpdir_.path().empty());
    outside_ = tmpdir_.path() + "/outside";
    ASSERT_EQ(mkdir(outside_.c_str(), 0755), 0);
    std::ofstream(outside_ + "/sentinel") << "host file";
    setenv("TMPDIR", tmpdir_.path().c_str(), 1);
  }
  void TearDown() override { unsetenv("TMPDIR"); }

  // The sbx-build-* entries of TMPDIR.
  std::vector<std::string> BuildDirs() {
    std::vector<std::string> dirs;
    for (const auto& entry : std::filesystem::directory_iterator(tmpdir_.path())) {
      if (entry.path().filename().string().rfind("sbx-build-", 0) == 0) {
        dirs.push_back(entry.path());
      }
    }
    return dirs;
  }

  // Starts sbx run with the hostile builder; returns its pid once the builder is ready,
  // and the host path of its build dir.
  pid_t StartHostileBuild(std::string* build_dir) {
    const std::string sbx = testing::SbxPath();
    const std::string outside = "OUTSIDE=" + outside_;
    const pid_t pid = fork();
    if (pid == 0) {
      execl(sbx.c_str(), sbx.c_str(), "run", "--mode", GetParam().c_str(), "--", "/usr/bin/env",
            outside.c_str(), "/bin/sh", "-c", kHostileBuilder, nullptr);
      _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    while (std::chrono::steady_clock::now() < deadline) {
      std::vector<std::string> dirs = BuildDirs();
      if (dirs.size() == 1 && access((dirs[0] + "/build/ready").c_str(), F_OK) == 0) {
        *build_dir = dirs[0] + "/build";
        return pid;
      }
      int status;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        ADD_FAILURE() << "sbx ended before its builder was ready, status " << status;
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "the builder was not ready in 5 minutes";
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return -1;
  }

  // What only the host can add: a socket, and a hard link to the host file.
  void AddFromOutside(const std::string& build_dir) {
    ASSERT_EQ(link((outside_ + "/sentinel").c_str(), (build_dir + "/hard-link").c_str()), 0);
    // Through an fd of the dir: Bazel's scratch paths are longer than sun_path.
    const int dir = open(build_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(dir, 0);
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "/proc/self/fd/%d/socket", dir);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    close(fd);
    close(dir);
  }

  void ExpectOutsideUntouched() {
    EXPECT_EQ(testing::TreeOf(outside_),
              (std::map<std::string, std::string>{{"sentinel", "file:host file"}}));
    struct stat st;
    ASSERT_EQ(stat((outside_ + "/sentinel").c_str(), &st), 0);
    EXPECT_EQ(st.st_nlink, 1u) << "the hard link in the build dir was left";
  }

  testing::ScratchDir tmpdir_{"sbx-build-dir-test"};
  std::string outside_;
};

// On the file system of $TMPDIR, bound onto /build, as Nix's; a tmpfs only when asked for.
TEST_P(BuildDirTest, IsAHostDirectoryBeneathTmpdir) {
  struct statfs tmpdir_fs;
  ASSERT_EQ(statfs(tmpdir_.path().c_str(), &tmpdir_fs), 0);
  testing::Outcome o = testing::Sbx({"run", "--mode", GetParam(), "--", "/bin/sh", "-c",
                                     "stat -f -c %t /build; grep ' /build ' /proc/self/mountinfo"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  char type[32];
  std::snprintf(type, sizeof type, "%lx\n", static_cast<unsigned long>(tmpdir_fs.f_type));
  EXPECT_EQ(o.out.substr(0, o.out.find('\n') + 1), type) << o.out;
  EXPECT_THAT(o.out, HasSubstr("/sbx-build-"));
  EXPECT_TRUE(BuildDirs().empty()) << "the build dir was left in TMPDIR";

  o = testing::Sbx({"run", "--mode", GetParam(), "--build-dir-tmpfs", "--", "/bin/sh", "-c",
                    "grep ' /build ' /proc/self/mountinfo"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_THAT(o.out, HasSubstr(" - tmpfs "));
}

// Whatever the builder left is removed, and nothing outside its build dir is changed.
TEST_P(BuildDirTest, HostileContentIsRemovedCompletely) {
  std::string build_dir;
  const pid_t pid = StartHostileBuild(&build_dir);
  ASSERT_GT(pid, 0);
  AddFromOutside(build_dir);
  std::ofstream(build_dir + "/go").close();
  int status;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_TRUE(BuildDirs().empty()) << "the build dir was left in TMPDIR";
  ExpectOutsideUntouched();
}

// The same when sbx is killed: its guard removes the build dir.
TEST_P(BuildDirTest, HostileContentIsRemovedWhenSbxIsKilled) {
  std::string build_dir;
  const pid_t pid = StartHostileBuild(&build_dir);
  ASSERT_GT(pid, 0);
  AddFromOutside(build_dir);
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  ASSERT_EQ(waitpid(pid, nullptr, 0), pid);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!BuildDirs().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(BuildDirs().empty()) << "the guard left the build dir in TMPDIR";
  ExpectOutsideUntouched();
}

// 2 GiB written into the build dir go to disk, not to memory (a tmpfs would hold them as
// shared memory: /proc/meminfo's Shmem).
long ShmemKiB() {
  std::ifstream meminfo("/proc/meminfo");
  for (std::string key; meminfo >> key;) {
    long value;
    meminfo >> value;
    if (key == "Shmem:") return value;
    meminfo.ignore(64, '\n');
  }
  return -1;
}

TEST_P(BuildDirTest, TwoGibibytesGoToDisk) {
  struct statfs fs;
  ASSERT_EQ(statfs(tmpdir_.path().c_str(), &fs), 0);
  if (fs.f_type == 0x01021994 /* TMPFS_MAGIC */) {
    GTEST_SKIP() << "TMPDIR is a tmpfs here: the build dir is in memory, as Nix's would be";
  }
  if (static_cast<double>(fs.f_bavail) * fs.f_bsize < 4.0 * (1 << 30)) {
    GTEST_SKIP() << "less than 4 GiB free beneath TMPDIR";
  }
  const long before = ShmemKiB();
  testing::Outcome o = testing::Sbx(
      {"run", "--mode", GetParam(), "--", "/bin/sh", "-c",
       "head -c 2147483648 /dev/zero > big && grep ^Shmem: /proc/meminfo && ls -l big"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  long during = -1;
  std::sscanf(o.out.c_str(), "Shmem: %ld", &during);
  EXPECT_LT(during - before, 256 * 1024) << "Shmem grew from " << before << " kB: " << o.out;
  EXPECT_THAT(o.out, HasSubstr("2147483648"));
  EXPECT_TRUE(BuildDirs().empty());
}

INSTANTIATE_TEST_SUITE_P(Modes, BuildDirTest, ::testing::Values("lix", "fast"));

}  // namespace
}  // namespace sbx
