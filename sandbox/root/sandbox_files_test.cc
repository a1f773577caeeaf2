// WriteEtcFiles (spec 24-25, the writing side): exact bytes and mode, no symlink followed,
// and all-or-nothing under a failure of any seam call. Everything happens in a scratch
// directory of this test: a "root" with etc, and an "outside" dir that planted symlinks
// point at, which must stay as it was.
#include "sandbox/root/sandbox_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "sandbox/base/sys_error.h"
#include "sandbox/base/syscalls.h"
#include "testing/scratch_dir.h"

namespace sbx {
namespace {

// A scratch dir, removed with all it holds (symlinks not followed).
class Scratch : public testing::ScratchDir {
 public:
  Scratch() : ScratchDir("sbx-files") {}
};

bool Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out.flush());
}

const EtcFiles kNew = {
    "root:x:0:0:Nix build user:/build:/noshell\n"
    "nixbld:x:1000:100:Nix build user:/build:/noshell\n"
    "nobody:x:65534:65534:Nobody:/:/noshell\n",
    "root:x:0:\nnixbld:!:100:\nnogroup:x:65534:\n"};
const std::string kOldPasswd = "old passwd\n";
const std::string kOldGroup = "old group\n";

class WriteEtcFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(scratch_.path().empty()) << "mkdtemp: " << strerror(errno);
    root_ = scratch_.path() + "/root";
    etc_ = root_ + "/etc";
    outside_ = scratch_.path() + "/outside";
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(etc_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(outside_.c_str(), 0755), 0);
    ASSERT_TRUE(Write(outside_ + "/target", "outside's own\n"));
  }
  void TearDown() override { sys::FailNthCall(0, 0); }

  std::map<std::string, std::string> OutsideAsCreated() const {
    return {{"target", "file:outside's own\n"}};
  }

  Scratch scratch_;
  std::string root_, etc_, outside_;
};

TEST_F(WriteEtcFilesTest, WritesExactBytesWithMode0644) {
  // With no umask, the mode on disk is exactly the one the writer asks for.
  const mode_t old_umask = umask(0);
  WriteEtcFiles(root_, kNew);
  umask(old_umask);
  EXPECT_EQ(testing::TreeOf(etc_),
            (std::map<std::string, std::string>{{"group", "file:" + kNew.group},
                                                {"passwd", "file:" + kNew.passwd}}));
  for (const char* name : {"passwd", "group"}) {
    struct stat st;
    ASSERT_EQ(lstat((etc_ + "/" + name).c_str(), &st), 0) << name;
    EXPECT_TRUE(S_ISREG(st.st_mode)) << name;
    EXPECT_EQ(st.st_mode & 07777, 0644u) << name;
  }
}

TEST_F(WriteEtcFilesTest, ReplacesExistingFiles) {
  ASSERT_TRUE(Write(etc_ + "/passwd", kOldPasswd));
  ASSERT_TRUE(Write(etc_ + "/group", kOldGroup));
  WriteEtcFiles(root_, kNew);
  EXPECT_EQ(testing::TreeOf(etc_),
            (std::map<std::string, std::string>{{"group", "file:" + kNew.group},
                                                {"passwd", "file:" + kNew.passwd}}));
  // And again over its own files.
  WriteEtcFiles(root_, kNew);
  EXPECT_EQ(testing::TreeOf(etc_),
            (std::map<std::string, std::string>{{"group", "file:" + kNew.group},
                                                {"passwd", "file:" + kNew.passwd}}));
}

// A symlink where passwd or group goes is replaced by the file; its target is untouched.
TEST_F(WriteEtcFilesTest, SymlinkAtAFileIsReplacedNotFollowed) {
  const std::string target = outside_ + "/target";
  ASSERT_EQ(symlink(target.c_str(), (etc_ + "/passwd").c_str()), 0);
  ASSERT_EQ(symlink(target.c_str(), (etc_ + "/group").c_str()), 0);
  WriteEtcFiles(root_, kNew);
  EXPECT_EQ(testing::TreeOf(etc_),
            (std::map<std::string, std::string>{{"group", "file:" + kNew.group},
                                                {"passwd", "file:" + kNew.passwd}}));
  EXPECT_EQ(testing::TreeOf(outside_), OutsideAsCreated());
}

// A symlink planted at the writer's temporary name (".passwd.sbx-TID" of the calling
// thread) is not followed to create a file outside: the write stops there, naming it (which
// also shows the plant was hit, and not passed by under another name).
TEST_F(WriteEtcFilesTest, SymlinkAtTheTemporaryNameIsNotFollowed) {
  const std::string tmp = etc_ + "/.passwd.sbx-" + std::to_string(gettid());
  ASSERT_EQ(symlink((outside_ + "/planted").c_str(), tmp.c_str()), 0);
  try {
    WriteEtcFiles(root_, kNew);
    ADD_FAILURE() << "the planted temporary name was never met";
  } catch (const SysError& e) {
    EXPECT_NE(std::string(e.what()).find(tmp), std::string::npos) << e.what();
  }
  EXPECT_EQ(testing::TreeOf(outside_), OutsideAsCreated());
}

// etc itself a symlink: refused, nothing written where it points.
TEST_F(WriteEtcFilesTest, EtcThatIsASymlinkIsRefused) {
  ASSERT_EQ(rmdir(etc_.c_str()), 0);
  ASSERT_EQ(symlink(outside_.c_str(), etc_.c_str()), 0);
  try {
    WriteEtcFiles(root_, kNew);
    ADD_FAILURE() << "a symlinked etc was accepted";
  } catch (const SysError& e) {
    // O_DIRECTORY|O_NOFOLLOW on a symlink: ENOTDIR (ELOOP on some kernels).
    EXPECT_TRUE(e.error() == ENOTDIR || e.error() == ELOOP) << e.what();
    EXPECT_NE(e.step().find(etc_), std::string::npos) << e.what();
  }
  EXPECT_EQ(testing::TreeOf(outside_), OutsideAsCreated());
}

TEST_F(WriteEtcFilesTest, MissingEtcIsAnError) {
  ASSERT_EQ(rmdir(etc_.c_str()), 0);
  try {
    WriteEtcFiles(root_, kNew);
    ADD_FAILURE() << "a missing etc was accepted";
  } catch (const SysError& e) {
    EXPECT_EQ(e.error(), ENOENT) << e.what();
    EXPECT_NE(e.step().find(etc_), std::string::npos) << e.what();
  }
  EXPECT_EQ(testing::TreeOf(root_), (std::map<std::string, std::string>{})) << "nothing created";
}

// Each seam call fails in turn (n = 1, 2, ... until a run no longer reaches the nth call),
// with each errno the code treats differently. After a failure etc is exactly as before
// (the old files, or none) with no temporary file left; after a success it holds the new
// files. Never the new passwd with the old group, nor a partial file.
struct FaultCase {
  bool old_files;
  int error;
};

class WriteEtcFilesFaults : public WriteEtcFilesTest,
                            public ::testing::WithParamInterface<FaultCase> {};

TEST_P(WriteEtcFilesFaults, EachFailingCallLeavesEtcAsItWas) {
  const std::map<std::string, std::string> before =
      GetParam().old_files ? std::map<std::string, std::string>{{"group", "file:" + kOldGroup},
                                                                {"passwd", "file:" + kOldPasswd}}
                           : std::map<std::string, std::string>{};
  const std::map<std::string, std::string> after = {{"group", "file:" + kNew.group},
                                                    {"passwd", "file:" + kNew.passwd}};
  int failures = 0;
  for (int n = 1; n <= 100; ++n) {
    // Reset etc to its state before.
    for (const auto& [name, _] : testing::TreeOf(etc_)) unlink((etc_ + "/" + name).c_str());
    if (GetParam().old_files) {
      ASSERT_TRUE(Write(etc_ + "/passwd", kOldPasswd));
      ASSERT_TRUE(Write(etc_ + "/group", kOldGroup));
    }
    sys::FailNthCall(n, GetParam().error, sys::FaultScope::kCallerOnly);
    bool failed = false;
    try {
      WriteEtcFiles(root_, kNew);
    } catch (const SysError& e) {
      failed = true;
      ++failures;
      EXPECT_NE(e.step().find(etc_), std::string::npos) << "call " << n << ": " << e.what();
    }
    const int calls = sys::CallCount();
    sys::FailNthCall(0, 0);
    EXPECT_EQ(testing::TreeOf(etc_), failed ? before : after)
        << "call " << n << " failing with " << strerror(GetParam().error)
        << (failed ? " (it failed)" : " (it succeeded)");
    if (!failed && calls < n) break;  // the nth call was never reached: every call was tried
    ASSERT_LT(n, 100) << "WriteEtcFiles never finished without reaching the fault";
  }
  EXPECT_GE(failures, 3) << "fewer failures than the three opens: the seam was not used";
}

INSTANTIATE_TEST_SUITE_P(Cases, WriteEtcFilesFaults,
                         ::testing::Values(FaultCase{false, EIO}, FaultCase{true, EIO},
                                           FaultCase{false, EINVAL}, FaultCase{true, EINVAL},
                                           FaultCase{false, EEXIST}, FaultCase{true, EEXIST},
                                           FaultCase{false, ENOSPC}, FaultCase{true, ENOSPC}),
                         [](const auto& info) {
                           return std::string(info.param.old_files ? "OldFiles" : "Fresh") +
                                  (info.param.error == EIO      ? "EIO"
                                   : info.param.error == EINVAL ? "EINVAL"
                                   : info.param.error == EEXIST ? "EEXIST"
                                                                : "ENOSPC");
                         });

// The seam calls of one clean WriteEtcFiles, as sys::CallTrace() names them.
std::vector<std::string> CleanTrace(const std::string& root) {
  sys::FailNthCall(1000, EIO, sys::FaultScope::kCallerOnly);  // armed, never reached
  WriteEtcFiles(root, kNew);
  std::vector<std::string> trace = sys::CallTrace();
  sys::FailNthCall(0, 0);
  return trace;
}

// The 1-based number of the first call in `trace` that contains `what`, or 0.
int CallNumber(const std::vector<std::string>& trace, const std::string& what) {
  for (size_t i = 0; i < trace.size(); ++i) {
    if (trace[i].find(what) != std::string::npos) return static_cast<int>(i) + 1;
  }
  return 0;
}

// The historic loss: on a file system without rename flags (EINVAL) passwd went in by a
// plain rename, and a failing group then had Rollback remove it: no passwd at all.
TEST_F(WriteEtcFilesTest, PlainRenameFallbackThenFailingGroupKeepsTheOldPasswd) {
  ASSERT_TRUE(Write(etc_ + "/passwd", kOldPasswd));
  ASSERT_TRUE(Write(etc_ + "/group", kOldGroup));
  // passwd's first rename (RENAME_NOREPLACE is 1) says EINVAL: the fallback.
  const int passwd_rename = CallNumber(CleanTrace(root_), "renameat2 1 .passwd.sbx-");
  ASSERT_GT(passwd_rename, 0);
  auto reset = [&] {
    ASSERT_TRUE(Write(etc_ + "/passwd", kOldPasswd));
    ASSERT_TRUE(Write(etc_ + "/group", kOldGroup));
  };
  reset();
  sys::FailNthCall(passwd_rename, EINVAL, sys::FaultScope::kCallerOnly);
  WriteEtcFiles(root_, kNew);
  const std::vector<std::string> fallback = sys::CallTrace();
  sys::FailNthCall(0, 0);
  ASSERT_GT(fallback.size(), static_cast<size_t>(passwd_rename));
  EXPECT_NE(fallback[passwd_rename].find("linkat passwd"), std::string::npos)
      << "the fallback keeps the old passwd first: " << ::testing::PrintToString(fallback);
  // Now group's first rename fails too.
  const int group_rename = CallNumber(fallback, "renameat2 1 .group.sbx-");
  ASSERT_GT(group_rename, passwd_rename) << ::testing::PrintToString(fallback);
  reset();
  sys::FailNthCall(passwd_rename, EINVAL, sys::FaultScope::kCallerOnly);
  sys::AlsoFailNthCall(group_rename, EIO);
  EXPECT_THROW(WriteEtcFiles(root_, kNew), SysError);
  sys::FailNthCall(0, 0);
  EXPECT_EQ(testing::TreeOf(etc_),
            (std::map<std::string, std::string>{{"group", "file:" + kOldGroup},
                                                {"passwd", "file:" + kOldPasswd}}));
}

// Two faults: the Nth call and every later one in turn, among them the rollback's own
// calls. After each run etc holds both new files, or both as before, or, only when the
// error says that putting passwd back failed, the new passwd with the old group: passwd
// is never lost, and nothing temporary is left.
TEST_P(WriteEtcFilesFaults, EachPairOfFailingCallsLeavesBothFilesConsistent) {
  const bool old_files = GetParam().old_files;
  const std::map<std::string, std::string> before =
      old_files ? std::map<std::string, std::string>{{"group", "file:" + kOldGroup},
                                                     {"passwd", "file:" + kOldPasswd}}
                : std::map<std::string, std::string>{};
  const std::map<std::string, std::string> after = {{"group", "file:" + kNew.group},
                                                    {"passwd", "file:" + kNew.passwd}};
  std::map<std::string, std::string> half = {{"passwd", "file:" + kNew.passwd}};
  if (old_files) half["group"] = "file:" + kOldGroup;
  int rollback_failures = 0;
  for (int n = 1; n <= 30; ++n) {
    for (int m = n + 1; m <= 30; ++m) {
      for (const auto& [name, _] : testing::TreeOf(etc_)) unlink((etc_ + "/" + name).c_str());
      if (old_files) {
        ASSERT_TRUE(Write(etc_ + "/passwd", kOldPasswd));
        ASSERT_TRUE(Write(etc_ + "/group", kOldGroup));
      }
      sys::FailNthCall(n, GetParam().error, sys::FaultScope::kCallerOnly);
      sys::AlsoFailNthCall(m, EIO);
      std::string step;
      bool failed = false;
      try {
        WriteEtcFiles(root_, kNew);
      } catch (const SysError& e) {
        failed = true;
        step = e.step();
      }
      const std::vector<std::string> trace = sys::CallTrace();
      sys::FailNthCall(0, 0);
      const bool rollback_failed = step.find("passwd back") != std::string::npos;
      rollback_failures += rollback_failed;
      EXPECT_EQ(testing::TreeOf(etc_), !failed           ? after
                                       : rollback_failed ? half
                                                         : before)
          << "calls " << n << " (" << strerror(GetParam().error) << ") and " << m
          << " (EIO) failed: " << step << "\n"
          << ::testing::PrintToString(trace);
      if (static_cast<int>(trace.size()) < m) break;  // m was never reached
    }
  }
  // With EINVAL first, a failing group takes the fallback: its rollback needs a third fault.
  if (GetParam().error != EINVAL) {
    EXPECT_GT(rollback_failures, 0) << "no second fault ever hit the rollback";
  }
}

}  // namespace
}  // namespace sbx
