#include "sandbox/cli/sbx_args.h"

#include <gtest/gtest.h>

namespace sbx {
namespace {

using Args = std::vector<std::string>;

template <typename T>
T Expect(const Args& args) {
  ParsedArgs parsed = ParseSbxArgs(args);
  EXPECT_TRUE(parsed.command) << parsed.error;
  if (!parsed.command) return T{};
  const T* value = std::get_if<T>(&*parsed.command);
  EXPECT_NE(value, nullptr) << "wrong command kind";
  return value ? *value : T{};
}

TEST(SbxArgs, FilesDefaults) {
  FilesCommand files = Expect<FilesCommand>({"files"});
  EXPECT_FALSE(files.config.build_user);
  EXPECT_TRUE(files.config.use_user_namespace);
  EXPECT_EQ(files.config.build_dir, "/build");
  EXPECT_TRUE(files.config.builder_switches_ids);  // planned as `sbx run` would
}

TEST(SbxArgs, FilesAllOptions) {
  for (const Args& args :
       {Args{"files", "--build-uid", "872415232", "--build-gid", "30000", "--uid-count", "65536",
             "--no-user-namespace", "--build-dir", "/tmp/b"},
        Args{"files", "--build-dir=/tmp/b", "--uid-count=65536", "--build-gid=30000",
             "--no-user-namespace", "--build-uid=872415232"}}) {
    FilesCommand files = Expect<FilesCommand>(args);
    EXPECT_EQ(files.config.build_user, (BuildUser{872415232, 30000, 65536}));
    EXPECT_FALSE(files.config.use_user_namespace);
    EXPECT_EQ(files.config.build_dir, "/tmp/b");
  }
}

// Nix's auto-allocate-uids (spec 21): a slot's first id as uid and gid; its whole range only
// with --uid-range.
TEST(SbxArgs, AutoBuildUser) {
  FilesCommand files = Expect<FilesCommand>({"files", "--auto-build-user", "2"});
  EXPECT_EQ(files.config.build_user,
            (BuildUser{872415232u + 2 * 65536, 872415232u + 2 * 65536, 1}));
  RunCommand run =
      Expect<RunCommand>({"run", "--uid-range", "--auto-build-user=0", "--", "/bin/true"});
  EXPECT_EQ(run.config.start.build_user, (BuildUser{872415232u, 872415232u, 65536}));
}

TEST(SbxArgs, NumbersCoverTheU32Range) {
  FilesCommand files =
      Expect<FilesCommand>({"files", "--build-uid", "4294967295", "--build-gid", "0"});
  EXPECT_EQ(files.config.build_user, (BuildUser{4294967295u, 0, 1}));
  files = Expect<FilesCommand>({"files", "--build-uid", "2147483648", "--build-gid", "007"});
  EXPECT_EQ(files.config.build_user, (BuildUser{2147483648u, 7, 1}));
}

TEST(SbxArgs, CheckMap) {
  CheckMapCommand check = Expect<CheckMapCommand>({"check-map"});
  EXPECT_FALSE(check.unprivileged);
  check = Expect<CheckMapCommand>({"check-map", "--unprivileged", "--euid", "1000"});
  EXPECT_TRUE(check.unprivileged);
  EXPECT_EQ(check.euid, 1000u);
  check = Expect<CheckMapCommand>({"check-map", "--euid=0", "--unprivileged"});
  EXPECT_TRUE(check.unprivileged);
  EXPECT_EQ(check.euid, 0u);
}

TEST(SbxArgs, RunDefaults) {
  RunCommand run = Expect<RunCommand>({"run", "--", "/bin/true"});
  const StartConfig& start = run.config.start;
  EXPECT_EQ(start.mode, StartMode::kLix);
  EXPECT_FALSE(start.build_user);
  EXPECT_TRUE(start.private_network);
  EXPECT_TRUE(start.use_user_namespace);
  EXPECT_EQ(start.build_dir, "/build");
  EXPECT_FALSE(start.build_dir_tmpfs);
  EXPECT_TRUE(start.kvm);
  EXPECT_FALSE(start.cgroup);
  EXPECT_FALSE(run.config.root);
  EXPECT_FALSE(run.timing);
  EXPECT_EQ(start.command, (Args{"/bin/true"}));
}

TEST(SbxArgs, RunAllOptions) {
  RunCommand run = Expect<RunCommand>({"run",
                                       "--mode",
                                       "fast",
                                       "--build-uid",
                                       "30001",
                                       "--build-gid",
                                       "30000",
                                       "--uid-count",
                                       "1",
                                       "--share-network",
                                       "--no-user-namespace",
                                       "--build-dir",
                                       "/b",
                                       "--cgroup",
                                       "/sys/fs/cgroup/unified/x",
                                       "--root",
                                       "/tmp/root",
                                       "--timing",
                                       "--",
                                       "sh",
                                       "-c",
                                       "echo --help",
                                       "--",
                                       "-h"});
  const StartConfig& start = run.config.start;
  EXPECT_EQ(start.mode, StartMode::kFast);
  EXPECT_EQ(start.build_user, (BuildUser{30001, 30000, 1}));
  EXPECT_FALSE(start.private_network);
  EXPECT_FALSE(start.use_user_namespace);
  EXPECT_EQ(start.build_dir, "/b");
  EXPECT_EQ(start.cgroup, "/sys/fs/cgroup/unified/x");
  EXPECT_EQ(run.config.root, "/tmp/root");
  EXPECT_TRUE(run.timing);
  // Everything after the first "--" is the command, options and "--" included.
  EXPECT_EQ(run.config.start.command, (Args{"sh", "-c", "echo --help", "--", "-h"}));
  EXPECT_EQ(Expect<RunCommand>({"run", "--mode=lix", "--", "x"}).config.start.mode,
            StartMode::kLix);
}

TEST(SbxArgs, Version) {
  for (const Args& args : {Args{"--version"}, Args{"version"}}) {
    const std::string text = Expect<VersionRequest>(args).text;
    EXPECT_TRUE(text.starts_with("sbx ") && text.ends_with("\n")) << text;
    EXPECT_EQ(text.find('\n'), text.size() - 1) << text;
  }
  EXPECT_EQ(ParseSbxArgs({"version", "extra"}).error, "version takes no arguments");
  EXPECT_EQ(ParseSbxArgs({"--version", "run"}).error, "--version takes no arguments");
  EXPECT_EQ(ParseSbxArgs({"files", "--version"}).error, "unknown option '--version' for files");
}

TEST(SbxArgs, Help) {
  for (const Args& args : {Args{"--help"}, Args{"-h"}, Args{"help"}}) {
    HelpRequest help = Expect<HelpRequest>(args);
    EXPECT_NE(help.text.find("check-map"), std::string::npos);
    EXPECT_NE(help.text.find("run"), std::string::npos);
  }
  for (const char* command : {"files", "check-map", "run"}) {
    for (const Args& args : {Args{command, "--help"}, Args{"help", command}, Args{command, "-h"}}) {
      HelpRequest help = Expect<HelpRequest>(args);
      EXPECT_NE(help.text.find(std::string("sbx ") + command), std::string::npos) << help.text;
    }
  }
  // Help wins over other, even wrong-looking, options of the same command.
  EXPECT_NE(Expect<HelpRequest>({"run", "--timing", "--help"}).text.find("sbx run"),
            std::string::npos);
}

struct BadCase {
  Args args;
  const char* word;  // the message must contain it
  int exit_code;     // 125 for run, else 2
};

TEST(SbxArgs, RejectsBadInput) {
  const BadCase cases[] = {
      {{}, "no command", 2},
      {{"frobnicate"}, "unknown command", 2},
      {{"help", "frobnicate"}, "unknown command", 2},
      {{"files", "--frob"}, "unknown option '--frob'", 2},
      {{"files", "extra"}, "unexpected argument", 2},
      {{"files", "--build-uid", "1000"}, "--build-uid needs --build-gid", 2},
      {{"files", "--build-gid", "1000"}, "--build-gid needs --build-uid", 2},
      {{"files", "--uid-count", "2"}, "--uid-count needs", 2},
      {{"files", "--build-uid", "1", "--build-gid", "1", "--uid-count", "0"}, "at least 1", 2},
      {{"files", "--build-uid"}, "needs a value", 2},
      {{"files", "--build-uid", "--build-gid", "5"}, "needs a value", 2},
      {{"files", "--build-uid", "-1", "--build-gid", "5"}, "negative", 2},
      {{"files", "--build-uid", "+1", "--build-gid", "5"}, "not an unsigned decimal", 2},
      {{"files", "--build-uid", "0x10", "--build-gid", "5"}, "not an unsigned decimal", 2},
      {{"files", "--build-uid", "1e3", "--build-gid", "5"}, "not an unsigned decimal", 2},
      {{"files", "--build-uid", " 1", "--build-gid", "5"}, "not an unsigned decimal", 2},
      {{"files", "--build-uid", "", "--build-gid", "5"}, "empty", 2},
      {{"files", "--build-uid", "4294967296", "--build-gid", "5"}, "out of range", 2},
      {{"files", "--build-uid", "99999999999999999999999", "--build-gid", "5"}, "out of range", 2},
      {{"files", "--build-uid=1", "--build-uid=2", "--build-gid=3"}, "more than once", 2},
      {{"files", "--no-user-namespace=yes"}, "takes no value", 2},
      {{"files", "--build-dir"}, "needs a value", 2},
      {{"files", "--build-dir="}, "non-empty", 2},
      {{"files", "--", "x"}, "'--'", 2},
      {{"files", "--share-network"}, "unknown option", 2},  // a run option
      {{"files", "--uid-range"}, "--uid-range needs --auto-build-user", 2},
      {{"files", "--auto-build-user", "1", "--build-uid", "5"}, "exclude each other", 2},
      {{"files", "--auto-build-user", "1", "--uid-count", "5"}, "exclude each other", 2},
      {{"files", "--auto-build-user", "52223", "--uid-range"}, "past the last id", 2},
      {{"run", "--auto-build-user", "-1", "--", "x"}, "negative", 125},
      {{"check-map", "--unprivileged"}, "--euid", 2},
      {{"check-map", "--euid", "5"}, "--unprivileged", 2},
      {{"check-map", "--unprivileged", "--euid", "-5"}, "negative", 2},
      {{"check-map", "file.txt"}, "unexpected argument", 2},
      {{"run"}, "-- CMD", 125},
      {{"run", "--"}, "command after", 125},
      {{"run", "/bin/true"}, "unexpected argument", 125},
      {{"run", "--mode", "slow", "--", "x"}, "lix, fast", 125},
      {{"run", "--mode", "--", "x"}, "needs a value", 125},
      {{"run", "--build-uid", "1", "--", "x"}, "--build-uid needs --build-gid", 125},
      {{"run", "--cgroup", "", "--", "x"}, "non-empty", 125},
      {{"run", "--unprivileged", "--", "x"}, "unknown option", 125},
      {{"run", "--timing", "--timing", "--", "x"}, "more than once", 125},
      // Control bytes in a quoted argument are escaped, so the error stays one line.
      {{"fi\nles"}, "'fi\\nles'", 2},
      {{"files", "--bu\rild\x7f"}, "--bu\\x0dild\\x7f", 2},
  };
  for (const BadCase& c : cases) {
    ParsedArgs parsed = ParseSbxArgs(c.args);
    std::string joined;
    for (const std::string& arg : c.args) joined += "[" + arg + "]";
    EXPECT_FALSE(parsed.command) << joined;
    EXPECT_NE(parsed.error.find(c.word), std::string::npos)
        << joined << ": error '" << parsed.error << "' lacks '" << c.word << "'";
    EXPECT_EQ(parsed.error.find('\n'), std::string::npos) << "one line: " << parsed.error;
    EXPECT_EQ(UsageErrorExitCode(parsed), c.exit_code) << joined;
  }
}

}  // namespace
}  // namespace sbx
