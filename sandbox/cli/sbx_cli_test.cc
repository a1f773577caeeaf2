// Runs the built `sbx` binary (a data dependency) and checks stdout, stderr and exit codes
// against the contract its --help and the README give.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "testing/sbx_process.h"
#include "testing/scratch_dir.h"

namespace {

using sbx::testing::Outcome;
using sbx::testing::Sbx;

std::string FilesOutput(const std::string& uid_map, const std::string& gid_map, bool deny,
                        const std::string& uid, const std::string& gid,
                        const std::string& home = "/build") {
  std::string text = "# uid_map\n" + uid_map + "\n";
  if (deny) text += "# setgroups\ndeny\n";
  text += "# gid_map\n" + gid_map + "\n";
  text +=
      "# passwd\n"
      "root:x:0:0:Nix build user:" +
      home +
      ":/noshell\n"
      "nixbld:x:" +
      uid + ":" + gid + ":Nix build user:" + home +
      ":/noshell\n"
      "nobody:x:65534:65534:Nobody:/:/noshell\n";
  text += "# group\nroot:x:0:\nnixbld:!:" + gid + ":\nnogroup:x:65534:\n";
  return text;
}

void ExpectUsageError(const Outcome& outcome, int code, const std::string& word) {
  EXPECT_EQ(outcome.exit_code, code) << outcome.err;
  EXPECT_EQ(outcome.out, "");
  EXPECT_EQ(outcome.err.rfind("sbx: error: ", 0), 0u) << outcome.err;
  EXPECT_EQ(std::count(outcome.err.begin(), outcome.err.end(), '\n'), 1) << outcome.err;
  EXPECT_NE(outcome.err.find(word), std::string::npos) << outcome.err;
}

// Spec 22's four cases, through the command line, byte for byte.
TEST(SbxCli, FilesRootWithBuildUser) {
  Outcome o = Sbx({"files", "--build-uid", "30001", "--build-gid", "30000"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.err, "");
  EXPECT_EQ(o.out, FilesOutput("1000 30001 1", "100 30000 1", true, "1000", "100"));
}

TEST(SbxCli, FilesUnprivilegedCaller) {
  std::string uid = std::to_string(getuid()), gid = std::to_string(getgid());
  Outcome o = Sbx({"files"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, FilesOutput("1000 " + uid + " 1", "100 " + gid + " 1", true, "1000", "100"));
  if (geteuid() != 0) GTEST_SKIP() << "running sbx as another user needs root";
  o = Sbx({"files"}, "", std::make_pair(uid_t{54321}, gid_t{54322}));
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, FilesOutput("1000 54321 1", "100 54322 1", true, "1000", "100"));
}

TEST(SbxCli, FilesAutoUidWithoutUidRange) {
  Outcome o = Sbx({"files", "--build-uid", "872415232", "--build-gid", "872415232"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, FilesOutput("1000 872415232 1", "100 872415232 1", true, "1000", "100"));
}

TEST(SbxCli, FilesAutoUidWithUidRange) {
  Outcome o = Sbx(
      {"files", "--build-uid", "872415232", "--build-gid", "872415232", "--uid-count", "65536"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  // No setgroups section, uid 0 twice in passwd.
  EXPECT_EQ(o.out, FilesOutput("0 872415232 65536", "0 872415232 65536", false, "0", "0"));
}

// --auto-build-user prints what the slot's explicit ids print.
TEST(SbxCli, FilesAutoBuildUserIsTheSlotsIds) {
  EXPECT_EQ(Sbx({"files", "--auto-build-user", "0"}).out,
            Sbx({"files", "--build-uid", "872415232", "--build-gid", "872415232"}).out);
  Outcome o = Sbx({"files", "--auto-build-user", "0", "--uid-range"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, FilesOutput("0 872415232 65536", "0 872415232 65536", false, "0", "0"));
}

TEST(SbxCli, FilesOtherShapes) {
  Outcome o = Sbx({"files", "--build-uid", "4294967294", "--build-gid", "2147483648", "--build-dir",
                   "/tmp/nix-build-1"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, FilesOutput("1000 4294967294 1", "100 2147483648 1", true, "1000", "100",
                               "/tmp/nix-build-1"));

  // Without a user namespace: no map sections, the build user is itself.
  o = Sbx({"files", "--build-uid", "30001", "--build-gid", "30000", "--no-user-namespace"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out,
            "# passwd\n"
            "root:x:0:0:Nix build user:/build:/noshell\n"
            "nixbld:x:30001:30000:Nix build user:/build:/noshell\n"
            "nobody:x:65534:65534:Nobody:/:/noshell\n"
            "# group\nroot:x:0:\nnixbld:!:30000:\nnogroup:x:65534:\n");
}

TEST(SbxCli, FilesBadInput) {
  const std::pair<std::vector<std::string>, const char*> cases[] = {
      {{"files", "--build-dir", "/a:b"}, "':'"},
      {{"files", "--build-dir", "/a\nb"}, "newline"},
      {{"files", "--build-dir",
        "/a\x01"
        "b"},
       "control"},
      {{"files", "--build-dir", "relative"}, "absolute"},
      {{"files", "--no-user-namespace"}, "user namespaces"},
      {{"files", "--build-uid", "4294967295", "--build-gid", "1"}, "uid_map"},
      {{"files", "--build-uid", "1", "--build-gid", "1", "--uid-count", "4294967295"}, "wraps"},
      {{"files", "--build-uid", "30001"}, "--build-gid"},
      {{"files", "--build-uid", "-3", "--build-gid", "1"}, "negative"},
      {{"files", "--bogus"}, "unknown option"},
      {{}, "no command"},
      {{"bogus"}, "unknown command"},
  };
  for (const auto& [args, word] : cases) ExpectUsageError(Sbx(args), 2, word);
}

TEST(SbxCli, CheckMapAccepts) {
  const std::pair<std::string, std::string> cases[] = {
      {"0 0 1", "0 0 1\n"},
      {"0 0 1\n5 5 2\n", "0 0 1\n5 5 2\n"},
      {"  0\t0\xa0"
       "1 \r\n",
       "0 0 1\n"},
      {"0010 4294967306 01", "10 10 1\n"},  // leading zeros; 2^32+10 wraps to 10
      {std::string("7 8 9\0 junk", 11), "7 8 9\n"},
      {"9 9 1\n0 0 1", "9 9 1\n0 0 1\n"},  // input order
  };
  for (const auto& [input, expected] : cases) {
    Outcome o = Sbx({"check-map"}, input);
    EXPECT_EQ(o.exit_code, 0) << input << ": " << o.err;
    EXPECT_EQ(o.out, expected);
    EXPECT_EQ(o.err, "");
  }
}

// A map text longer than a page is refused as the kernel refuses it, without reading all
// of stdin (`< /dev/zero` must end).
TEST(SbxCli, CheckMapReadsNoMoreThanAPage) {
  signal(SIGPIPE, SIG_IGN);  // sbx stops reading long before we stop writing
  Outcome o = Sbx({"check-map"}, std::string(8 << 20, '0'));
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_THAT(o.err, ::testing::HasSubstr("not shorter than a page"));
}

TEST(SbxCli, CheckMapRejects) {
  const std::pair<std::string, const char*> cases[] = {
      {"", "empty"},
      {"0 0 0", "count is zero"},
      {"0 0 1\n\n", "empty line"},
      {"-1 0 1", "inside"},
      {"0 0 10\n5 20 1", "overlaps"},
      {"4294967295 0 1", "4294967295"},
      {std::string(4096, ' '), "page"},
  };
  for (const auto& [input, word] : cases) {
    Outcome o = Sbx({"check-map"}, input);
    EXPECT_EQ(o.exit_code, 1) << input;
    EXPECT_EQ(o.out, "");
    EXPECT_EQ(o.err.rfind("sbx: check-map: ", 0), 0u) << o.err;
    EXPECT_NE(o.err.find(word), std::string::npos) << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
  }
}

TEST(SbxCli, CheckMapUnprivileged) {
  Outcome o = Sbx({"check-map", "--unprivileged", "--euid", "1000"}, "0 1000 1\n");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, "0 1000 1\n");
  o = Sbx({"check-map", "--unprivileged", "--euid", "1000"}, "0 1001 1\n");
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("EPERM"), std::string::npos) << o.err;
  o = Sbx({"check-map", "--unprivileged", "--euid", "1000"}, "0 1000 2\n");
  EXPECT_EQ(o.exit_code, 1);
  // Root may map the same range.
  o = Sbx({"check-map"}, "0 1000 2\n");
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, "0 1000 2\n");
}

TEST(SbxCli, CheckMapUsageErrors) {
  ExpectUsageError(Sbx({"check-map", "--unprivileged"}, "0 0 1"), 2, "--euid");
  ExpectUsageError(Sbx({"check-map", "--euid", "x"}, "0 0 1"), 2, "--euid");
}

TEST(SbxCli, Help) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--help"},
                                               {"help"},
                                               {"files", "--help"},
                                               {"help", "check-map"},
                                               {"run", "--help"}}) {
    Outcome o = Sbx(args);
    EXPECT_EQ(o.exit_code, 0);
    EXPECT_NE(o.out.find("usage: sbx"), std::string::npos) << o.out;
    EXPECT_EQ(o.err, "");
  }
}

TEST(SbxCli, Version) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--version"}, {"version"}}) {
    Outcome o = Sbx(args);
    EXPECT_EQ(o.exit_code, 0);
    EXPECT_TRUE(std::regex_match(o.out, std::regex("sbx [0-9]+\\.[0-9]+\\.[0-9]+\n"))) << o.out;
    EXPECT_EQ(o.err, "");
  }
  ExpectUsageError(Sbx({"version", "extra"}), 2, "takes no arguments");
}

TEST(SbxCli, RunUsageErrorsExit125) {
  ExpectUsageError(Sbx({"run"}), 125, "--");
  ExpectUsageError(Sbx({"run", "--mode", "slow", "--", "true"}), 125, "--mode");
  ExpectUsageError(Sbx({"run", "--build-gid", "5", "--", "true"}), 125, "--build-uid");
}

// What a leftover guard execs once sbx has died: it removes the listed tree without
// following a symlink out of it.
TEST(SbxCli, LeftoverCleanupRemovesTheTreeOnly) {
  const std::string base = ::testing::TempDir() + "/leftover-" + std::to_string(getpid());
  const std::string tree = base + "/tree", outside = base + "/outside";
  ASSERT_EQ(system(("mkdir -p " + tree + "/etc " + outside + " && touch " + outside + "/keep " +
                    tree + "/etc/passwd && ln -s " + outside + " " + tree + "/link")
                       .c_str()),
            0);
  Outcome o = Sbx({"--leftover-cleanup", "T" + tree});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_NE(access(tree.c_str(), F_OK), 0) << "the tree is still there";
  EXPECT_EQ(access((outside + "/keep").c_str(), F_OK), 0) << "a symlink was followed";
  ASSERT_TRUE(sbx::testing::ScratchDir::RemoveAll(base));
}

}  // namespace
