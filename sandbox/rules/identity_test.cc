#include "sandbox/rules/identity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sbx {
namespace {

std::vector<ProcWrite> Writes(const std::string& uid_map, const std::string& gid_map, bool deny) {
  std::vector<ProcWrite> writes = {{UsernsFile::kUidMap, uid_map}};
  if (deny) writes.push_back({UsernsFile::kSetgroups, "deny"});
  writes.push_back({UsernsFile::kGidMap, gid_map});
  return writes;
}

struct TableCase {
  const char* name;
  IdentityInput input;
  uint32_t sandbox_uid, sandbox_gid;
  std::vector<ProcWrite> writes;
};

// Spec 22's table, byte for byte, plus the same rules at the edges of the id space.
TEST(Identity, SpecTable) {
  const TableCase cases[] = {
      {"root, build user 30001/30000",
       {true, BuildUser{30001, 30000, 1}, 0, 0},
       1000,
       100,
       Writes("1000 30001 1", "100 30000 1", true)},
      {"unprivileged caller U/G",
       {true, std::nullopt, 1234, 567},
       1000,
       100,
       Writes("1000 1234 1", "100 567 1", true)},
      {"auto uid, no uid-range",
       {true, BuildUser{872415232, 872415232, 1}, 0, 0},
       1000,
       100,
       Writes("1000 872415232 1", "100 872415232 1", true)},
      {"auto uid + uid-range",
       {true, BuildUser{872415232, 872415232, 65536}, 0, 0},
       0,
       0,
       Writes("0 872415232 65536", "0 872415232 65536", false)},
      {"ids near 2^31",
       {true, BuildUser{2147483647u, 2147483648u, 1}, 0, 0},
       1000,
       100,
       Writes("1000 2147483647 1", "100 2147483648 1", true)},
      {"last mappable id",
       {true, BuildUser{4294967294u, 4294967294u, 1}, 0, 0},
       1000,
       100,
       Writes("1000 4294967294 1", "100 4294967294 1", true)},
      {"caller with a large uid",
       {true, std::nullopt, 4000000000u, 3000000000u},
       1000,
       100,
       Writes("1000 4000000000 1", "100 3000000000 1", true)},
      {"range of two",
       {true, BuildUser{100000, 200000, 2}, 0, 0},
       0,
       0,
       Writes("0 100000 2", "0 200000 2", false)},
  };
  for (const TableCase& c : cases) {
    std::string error;
    std::optional<Identity> id = ComputeIdentity(c.input, &error);
    ASSERT_TRUE(id) << c.name << ": " << error;
    EXPECT_EQ(id->sandbox_uid, c.sandbox_uid) << c.name;
    EXPECT_EQ(id->sandbox_gid, c.sandbox_gid) << c.name;
    EXPECT_EQ(id->writes, c.writes) << c.name;
    EXPECT_EQ(id->setgroups_denied, c.writes.size() == 3) << c.name;
  }
}

TEST(Identity, HostIdsAndCount) {
  std::string error;
  std::optional<Identity> id =
      ComputeIdentity({true, BuildUser{872415232, 872415233, 65536}, 5, 6}, &error);
  ASSERT_TRUE(id) << error;
  EXPECT_EQ(id->host_uid, 872415232u);
  EXPECT_EQ(id->host_gid, 872415233u);
  EXPECT_EQ(id->count, 65536u);

  id = ComputeIdentity({true, std::nullopt, 5, 6}, &error);
  ASSERT_TRUE(id) << error;
  EXPECT_EQ(id->host_uid, 5u);  // the caller's real ids
  EXPECT_EQ(id->host_gid, 6u);
  EXPECT_EQ(id->count, 1u);
}

TEST(Identity, WithoutUserNamespaceTheBuildUserIsItself) {
  std::string error;
  std::optional<Identity> id = ComputeIdentity({false, BuildUser{30001, 30000, 1}, 0, 0}, &error);
  ASSERT_TRUE(id) << error;
  EXPECT_EQ(id->sandbox_uid, 30001u);
  EXPECT_EQ(id->sandbox_gid, 30000u);
  EXPECT_TRUE(id->writes.empty());  // no maps, no setgroups
  EXPECT_FALSE(id->setgroups_denied);
}

TEST(Identity, RejectsWhatCannotBeSandboxed) {
  struct Bad {
    IdentityInput input;
    const char* word;  // the error must say what is wrong
  };
  const Bad cases[] = {
      {{false, std::nullopt, 1000, 100}, "user namespaces"},
      {{true, BuildUser{30001, 30000, 0}, 0, 0}, "count"},
      {{false, BuildUser{30001, 30000, 65536}, 0, 0}, "user namespace"},
      {{true, BuildUser{4294967295u, 30000, 1}, 0, 0}, "uid_map"},  // -1 cannot be mapped
      {{true, BuildUser{30001, 4294967295u, 1}, 0, 0}, "gid_map"},
      {{true, BuildUser{4294901760u, 4294901760u, 65536}, 0, 0}, "wraps"},  // ends at 2^32
      {{true, std::nullopt, 4294967295u, 100}, "uid_map"},
  };
  for (const Bad& c : cases) {
    std::string error;
    EXPECT_FALSE(ComputeIdentity(c.input, &error)) << c.word;
    EXPECT_NE(error.find(c.word), std::string::npos) << "error '" << error << "'";
  }
}

TEST(Identity, AutoBuildUsers) {
  struct Slot {
    uint32_t slot;
    bool uid_range;
    uint32_t uid;
    uint32_t count;
  };
  const Slot cases[] = {
      {0, false, 872415232, 1},
      {0, true, 872415232, 65536},
      {1, true, 872415232 + 65536, 65536},
      {100, false, 872415232 + 100 * 65536, 1},
      // 0x34000000 + 52222*65536 = 0xFFFE0000: the last slot whose 65536 ids stay below 2^32-1.
      {52222, true, 0xFFFE0000u, 65536},
      {52223, false, 0xFFFF0000u, 1},
  };
  for (const Slot& c : cases) {
    std::string error;
    std::optional<BuildUser> user = AutoBuildUser(c.slot, c.uid_range, &error);
    ASSERT_TRUE(user) << c.slot << ": " << error;
    EXPECT_EQ(user->uid, c.uid) << c.slot;
    EXPECT_EQ(user->gid, c.uid) << c.slot;  // gid = uid when sandboxing
    EXPECT_EQ(user->count, c.count) << c.slot;
  }
  std::string error;
  EXPECT_FALSE(AutoBuildUser(52223, true, &error));  // would end exactly at 2^32
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(AutoBuildUser(0xFFFFFFFFu, false, &error));
}

TEST(Identity, AutoBuildUserFeedsTheTable) {
  std::string error;
  std::optional<BuildUser> user = AutoBuildUser(0, true, &error);
  ASSERT_TRUE(user);
  std::optional<Identity> id = ComputeIdentity({true, *user, 0, 0}, &error);
  ASSERT_TRUE(id) << error;
  EXPECT_EQ(id->writes, Writes("0 872415232 65536", "0 872415232 65536", false));
}

}  // namespace
}  // namespace sbx

namespace sbx {
namespace {

TEST(RefuseRunningAsPrivilegedUser, OnlyWithoutAUserNamespace) {
  auto identity = [](bool userns, uint32_t uid, uint32_t gid) {
    std::string error;
    std::optional<Identity> id =
        ComputeIdentity({.use_user_namespace = userns,
                         .build_user = BuildUser{.uid = uid, .gid = gid, .count = 1},
                         .caller_uid = 1234,
                         .caller_gid = 1234},
                        &error);
    EXPECT_TRUE(id) << error;
    return *id;
  };
  EXPECT_EQ(RefuseRunningAsPrivilegedUser(identity(true, 0, 0), true, 1234), "");
  EXPECT_EQ(RefuseRunningAsPrivilegedUser(identity(false, 30001, 30000), false, 1234), "");
  EXPECT_THAT(RefuseRunningAsPrivilegedUser(identity(false, 0, 30000), false, 1234),
              ::testing::HasSubstr("cannot be root"));
  EXPECT_THAT(RefuseRunningAsPrivilegedUser(identity(false, 30001, 0), false, 1234),
              ::testing::HasSubstr("cannot be root"));
  EXPECT_THAT(RefuseRunningAsPrivilegedUser(identity(false, 1234, 30000), false, 1234),
              ::testing::HasSubstr("cannot be the caller itself (uid 1234)"));
}

}  // namespace
}  // namespace sbx
