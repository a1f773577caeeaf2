#include "sandbox/rules/passwd.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <stdio.h>

#include <string>
#include <vector>

namespace sbx {
namespace {

TEST(Passwd, SingleIdIsByteExact) {
  std::string error;
  std::optional<EtcFiles> files = GenerateEtcFiles(1000, 100, "/build", &error);
  ASSERT_TRUE(files) << error;
  EXPECT_EQ(files->passwd,
            "root:x:0:0:Nix build user:/build:/noshell\n"
            "nixbld:x:1000:100:Nix build user:/build:/noshell\n"
            "nobody:x:65534:65534:Nobody:/:/noshell\n");
  EXPECT_EQ(files->group,
            "root:x:0:\n"
            "nixbld:!:100:\n"
            "nogroup:x:65534:\n");
}

TEST(Passwd, UidRangeHasUidZeroTwice) {
  std::string error;
  std::optional<EtcFiles> files = GenerateEtcFiles(0, 0, "/build", &error);
  ASSERT_TRUE(files) << error;
  EXPECT_EQ(files->passwd,
            "root:x:0:0:Nix build user:/build:/noshell\n"
            "nixbld:x:0:0:Nix build user:/build:/noshell\n"
            "nobody:x:65534:65534:Nobody:/:/noshell\n");
  EXPECT_EQ(files->group, "root:x:0:\nnixbld:!:0:\nnogroup:x:65534:\n");
}

TEST(Passwd, IdsPrintUnsigned) {
  struct Case {
    uint32_t uid, gid;
    const char* nixbld_line;
    const char* group_line;
  };
  const Case cases[] = {
      {2147483647u, 2147483648u, "nixbld:x:2147483647:2147483648:", "nixbld:!:2147483648:"},
      {4294967295u, 4294967294u, "nixbld:x:4294967295:4294967294:", "nixbld:!:4294967294:"},
      {30001, 30000, "nixbld:x:30001:30000:", "nixbld:!:30000:"},
  };
  for (const Case& c : cases) {
    std::string error;
    std::optional<EtcFiles> files = GenerateEtcFiles(c.uid, c.gid, "/build", &error);
    ASSERT_TRUE(files) << error;
    EXPECT_NE(files->passwd.find(std::string("\n") + c.nixbld_line + "Nix build user:/build:"),
              std::string::npos)
        << files->passwd;
    EXPECT_NE(files->group.find(std::string("\n") + c.group_line + "\n"), std::string::npos)
        << files->group;
  }
}

TEST(Passwd, HomeIsTheBuildDir) {
  std::string error;
  std::optional<EtcFiles> files = GenerateEtcFiles(1000, 100, "/tmp/nix-build-x y-1", &error);
  ASSERT_TRUE(files) << error;
  EXPECT_EQ(files->passwd,
            "root:x:0:0:Nix build user:/tmp/nix-build-x y-1:/noshell\n"
            "nixbld:x:1000:100:Nix build user:/tmp/nix-build-x y-1:/noshell\n"
            "nobody:x:65534:65534:Nobody:/:/noshell\n");
}

TEST(Passwd, RejectsBadBuildDirsAndProducesNothing) {
  struct Bad {
    std::string dir;
    const char* word;
  };
  const Bad cases[] = {
      {"", "empty"},
      {"build", "absolute"},
      {"./build", "absolute"},
      {"/bu:ild", "':'"},
      {"/build:", "':'"},
      {"/bu\nild", "newline"},
      {"/build\n", "newline"},
      {"/bu\tild", "0x09"},
      {"/bu\rild", "0x0D"},
      {std::string("/bu\0ild", 7), "0x00"},
      {"/bu\x1b[0mild", "0x1B"},
      {"/bu\x7fild", "0x7F"},
      {"/", "/ itself"},
      {"/../../etc", "\"..\" component"},
      {"/build/..", "\"..\" component"},
      {"/./build", "\".\" component"},
      {"/a//b", "empty component"},
      {"/etc", "/etc, which the sandbox provides"},
      {"/proc/1", "/proc, which"},
      {"/dev/shm/b", "/dev, which"},
      {"/usr/b", "/usr, which"},
      {"/lib64", "/lib64, which"},
      {"/" + std::string(kMaxBuildDirLength, 'a'), "at most 1024"},
  };
  for (const Bad& c : cases) {
    std::string error;
    EXPECT_FALSE(ValidateBuildDir(c.dir, &error)) << c.dir;
    EXPECT_NE(error.find(c.word), std::string::npos) << "error '" << error << "'";
    EXPECT_NE(error.find("build dir"), std::string::npos) << "error must name the field";
    error.clear();
    EXPECT_FALSE(GenerateEtcFiles(1000, 100, c.dir, &error));
    EXPECT_FALSE(error.empty());
  }
}

TEST(Passwd, AcceptsOrdinaryDirs) {
  for (const std::string& dir : std::vector<std::string>{
           "/build", "/build/", "/tmp/a b", "/\xc3\xa9t\xc3\xa9", "/a-b_c.d/e", "/etcetera",
           "/.hidden", "/..x", "/" + std::string(kMaxBuildDirLength - 1, 'a')}) {
    std::string error;
    EXPECT_TRUE(ValidateBuildDir(dir, &error)) << dir << ": " << error;
  }
}

// glibc reads back exactly what went in: parse with fgetpwent_r / fgetgrent_r from memory.
struct PwEntry {
  std::string name, passwd;
  uid_t uid;
  gid_t gid;
  std::string gecos, dir, shell;
};

std::vector<PwEntry> ParsePasswd(const std::string& text) {
  std::vector<PwEntry> out;
  FILE* stream = fmemopen(const_cast<char*>(text.data()), text.size(), "r");
  EXPECT_NE(stream, nullptr);
  if (!stream) return out;
  passwd entry;
  passwd* result = nullptr;
  char buffer[4096];
  while (fgetpwent_r(stream, &entry, buffer, sizeof buffer, &result) == 0 && result) {
    out.push_back({entry.pw_name, entry.pw_passwd, entry.pw_uid, entry.pw_gid, entry.pw_gecos,
                   entry.pw_dir, entry.pw_shell});
  }
  fclose(stream);
  return out;
}

struct GrEntry {
  std::string name, passwd;
  gid_t gid;
  size_t members;
};

std::vector<GrEntry> ParseGroup(const std::string& text) {
  std::vector<GrEntry> out;
  FILE* stream = fmemopen(const_cast<char*>(text.data()), text.size(), "r");
  EXPECT_NE(stream, nullptr);
  if (!stream) return out;
  group entry;
  group* result = nullptr;
  char buffer[4096];
  while (fgetgrent_r(stream, &entry, buffer, sizeof buffer, &result) == 0 && result) {
    size_t members = 0;
    while (entry.gr_mem[members] != nullptr) ++members;
    out.push_back({entry.gr_name, entry.gr_passwd, entry.gr_gid, members});
  }
  fclose(stream);
  return out;
}

TEST(Passwd, GlibcRoundTrip) {
  struct Case {
    uint32_t uid, gid;
    std::string home;
  };
  const Case cases[] = {{1000, 100, "/build"},
                        {0, 0, "/build"},
                        {30001, 30000, "/tmp/nix-build-foo.drv-0"},
                        {2147483648u, 2147483649u, "/b"},
                        {4294967294u, 4294967294u, "/with space/and-\xc3\xa9"}};
  for (const Case& c : cases) {
    std::string error;
    std::optional<EtcFiles> files = GenerateEtcFiles(c.uid, c.gid, c.home, &error);
    ASSERT_TRUE(files) << error;

    std::vector<PwEntry> users = ParsePasswd(files->passwd);
    ASSERT_EQ(users.size(), 3u) << files->passwd;
    const PwEntry expected_users[] = {
        {"root", "x", 0, 0, "Nix build user", c.home, "/noshell"},
        {"nixbld", "x", c.uid, c.gid, "Nix build user", c.home, "/noshell"},
        {"nobody", "x", 65534, 65534, "Nobody", "/", "/noshell"},
    };
    for (size_t i = 0; i < 3; ++i) {
      const PwEntry& got = users[i];
      const PwEntry& want = expected_users[i];
      EXPECT_EQ(got.name, want.name);
      EXPECT_EQ(got.passwd, want.passwd);
      EXPECT_EQ(got.uid, want.uid) << want.name;
      EXPECT_EQ(got.gid, want.gid) << want.name;
      EXPECT_EQ(got.gecos, want.gecos);
      EXPECT_EQ(got.dir, want.dir);
      EXPECT_EQ(got.shell, want.shell);
    }

    std::vector<GrEntry> groups = ParseGroup(files->group);
    ASSERT_EQ(groups.size(), 3u) << files->group;
    const GrEntry expected_groups[] = {
        {"root", "x", 0, 0}, {"nixbld", "!", c.gid, 0}, {"nogroup", "x", 65534, 0}};
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(groups[i].name, expected_groups[i].name);
      EXPECT_EQ(groups[i].passwd, expected_groups[i].passwd);
      EXPECT_EQ(groups[i].gid, expected_groups[i].gid) << expected_groups[i].name;
      EXPECT_EQ(groups[i].members, 0u);
    }
  }
}

}  // namespace
}  // namespace sbx
