#include "sandbox/rules/id_map_kernel_rules.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <random>
#include <string>
#include <utility>

namespace sbx {
namespace {

using namespace std::string_literals;

MapWriter Root() { return MapWriter{}; }

MapWriter Unprivileged(uint32_t euid, uint32_t egid, bool setgroups_denied) {
  MapWriter writer;
  writer.privileged = false;
  writer.euid = euid;
  writer.egid = egid;
  writer.setgroups_denied = setgroups_denied;
  return writer;
}

struct AcceptCase {
  std::string text;
  IdMap expected;
};

// Root of the initial namespace writing uid_map: texts the kernel accepts, and what it installs.
TEST(KernelRules, PrivilegedAccepts) {
  const AcceptCase cases[] = {
      {"0 0 1", {{0, 0, 1}}},
      {"0 0 1\n", {{0, 0, 1}}},  // one trailing newline ends the text
      {"1000 30001 1", {{1000, 30001, 1}}},
      {"0 872415232 65536", {{0, 872415232, 65536}}},
      {"  0   0   1   ", {{0, 0, 1}}},  // runs of spaces anywhere
      {"\t0\t0\t1\t", {{0, 0, 1}}},
      {"\v0\f0\r1\r", {{0, 0, 1}}},  // \v \f \r are white space too
      {"0\xa0"
       "0\xa0"
       "1",
       {{0, 0, 1}}},                    // and so is 0xA0 (Latin-1 no-break space)
      {"0 0 1\r\n", {{0, 0, 1}}},       // '\r' before the newline is trailing space
      {"000 0000 00001", {{0, 0, 1}}},  // leading zeros
      {"4294967296 0 1", {{0, 0, 1}}},  // 2^32 wraps to 0
      {"0 0 4294967297", {{0, 0, 1}}},
      {"18446744073709551621 7 1", {{5, 7, 1}}},  // 2^64+5: wraps too
      {"0 0 4294967295", {{0, 0, 4294967295u}}},  // last id 4294967294: the largest range
      {"4294967294 4294967294 1", {{4294967294u, 4294967294u, 1}}},
      {"2147483648 2147483647 2", {{2147483648u, 2147483647u, 2}}},
      {"0 0 1\0junk"s, {{0, 0, 1}}},  // the kernel stops at the first NUL
      {"0 0 1\n\0\n\n"s, {{0, 0, 1}}},
      {"5 5 1\n0 0 5", {{5, 5, 1}, {0, 0, 5}}},  // input order kept; adjacent, not overlapping
      {"0 10 5\n5 0 5", {{0, 10, 5}, {5, 0, 5}}},
      {std::string(4090, '0') + " 0 1", {{0, 0, 1}}},  // 4094 bytes: under a page
  };
  for (const AcceptCase& c : cases) {
    MapVerdict verdict = CheckMapWrite(c.text, MapKind::kUid, Root());
    EXPECT_TRUE(verdict.accepted) << "'" << c.text << "': " << verdict.reason;
    EXPECT_EQ(verdict.extents, c.expected) << c.text;
    EXPECT_EQ(verdict.error_number, 0);
  }
}

TEST(KernelRules, SizeLimitIsOneByteUnderAPage) {
  std::string text = "0 0 1";
  std::string at_4095 = std::string(4095 - text.size(), ' ') + text;
  std::string at_4096 = " " + at_4095;
  ASSERT_EQ(at_4095.size(), 4095u);
  EXPECT_TRUE(CheckMapWrite(at_4095, MapKind::kUid, Root()).accepted);
  MapVerdict verdict = CheckMapWrite(at_4096, MapKind::kUid, Root());
  EXPECT_FALSE(verdict.accepted);
  EXPECT_EQ(verdict.error_number, EINVAL);
  EXPECT_NE(verdict.reason.find("page"), std::string::npos) << verdict.reason;
}

std::string Extents(size_t n) {
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    text += std::to_string(i) + " " + std::to_string(i) + " 1\n";
  }
  return text;
}

TEST(KernelRules, AtMost340Extents) {
  MapVerdict at_340 = CheckMapWrite(Extents(340), MapKind::kUid, Root());
  EXPECT_TRUE(at_340.accepted) << at_340.reason;
  EXPECT_EQ(at_340.extents.size(), 340u);
  EXPECT_EQ(at_340.extents.back(), (IdExtent{339, 339, 1}));

  std::string no_newline = Extents(340);
  no_newline.pop_back();
  EXPECT_TRUE(CheckMapWrite(no_newline, MapKind::kUid, Root()).accepted);

  MapVerdict at_341 = CheckMapWrite(Extents(341), MapKind::kUid, Root());
  EXPECT_FALSE(at_341.accepted);
  EXPECT_EQ(at_341.error_number, EINVAL);
  EXPECT_NE(at_341.reason.find("340"), std::string::npos) << at_341.reason;
}

struct RejectCase {
  std::string text;
  std::string reason_part;  // a word the reason must contain
};

TEST(KernelRules, PrivilegedRejectsWithEinval) {
  const RejectCase cases[] = {
      {"", "empty"},
      {"\n", "empty"},
      {"   ", "empty"},
      {"\0"s, "empty"},         // a NUL first: the kernel sees an empty text
      {"0 0 1\n\n", "line 2"},  // an empty line other than the final newline
      {"\n0 0 1", "line 1"},
      {"0 0 1\n \n", "line 2"},
      {"0", "inside"},  // fields missing
      {"0 0", "outside"},
      {"0 0 ", "count is zero"},  // an empty count reads as 0
      {"0 0 1 2", "trailing"},    // too many fields
      {"0 0 1x", "count"},        // junk glued to a number
      {"0x0 0 1", "inside"},      // no base prefixes
      {"+1 0 1", "inside"},       // no signs
      {"-1 0 1", "inside"},
      {"0 +1 1", "outside"},
      {"0 0 +1", "count"},
      {"0 0 -1", "count"},
      {"0,0,1", "inside"},
      {"0\x85"
       "0 1",
       "inside"},  // 0x85 (NEL) is not kernel white space
      {"0\x1c"
       "0 1",
       "inside"},  // nor are the ASCII separators
      {"0 0 1 #c", "trailing"},
      {"0 0 0", "count is zero"},
      {"0 0 4294967296", "count is zero"},  // 2^32 wraps to 0
      {"4294967295 0 1", "inside id 4294967295"},
      {"0 4294967295 1", "outside id 4294967295"},
      {"8589934591 0 1", "inside id 4294967295"},  // 2^33-1 wraps to 2^32-1
      {"4294967294 0 2", "inside range wraps"},
      {"1 0 4294967295", "inside range wraps"},
      {"0 4294967294 2", "outside range wraps"},
      {"0 1 4294967295", "outside range wraps"},
      {"0 0 10\n5 100 1", "inside range overlaps"},
      {"0 0 10\n100 9 1", "outside range overlaps"},
      {"5 5 5\n0 0 6", "inside range overlaps"},  // overlap with a later, lower extent
      {"0 0 1\n0 1 1", "inside range overlaps"},
      {"0 0 1\n1 0 1", "outside range overlaps"},
      {"0 0 1\n1 1 1\n2 1 1", "line 3"},
  };
  for (const RejectCase& c : cases) {
    MapVerdict verdict = CheckMapWrite(c.text, MapKind::kUid, Root());
    EXPECT_FALSE(verdict.accepted) << "accepted '" << c.text << "'";
    EXPECT_EQ(verdict.error_number, EINVAL) << c.text;
    EXPECT_TRUE(verdict.extents.empty());
    EXPECT_NE(verdict.reason.find(c.reason_part), std::string::npos)
        << "'" << c.text << "': reason '" << verdict.reason << "' lacks '" << c.reason_part << "'";
  }
}

// An extent that overlaps several earlier ones names the first of them (the kernel compares
// with each earlier extent in turn), the inside side before the outside for the same extent.
TEST(KernelRules, OverlapNamesTheFirstEarlierExtent) {
  const std::pair<std::string, std::string> cases[] = {
      {"0 100 1\n10 0 1\n0 0 1", "line 3: inside range overlaps the extent on line 1"},
      {"10 0 1\n0 100 1\n0 0 1", "line 3: outside range overlaps the extent on line 1"},
      {"0 0 1\n5 5 1\n9 9 1\n0 9 10", "line 4: inside range overlaps the extent on line 1"},
      {"9 9 1\n5 5 1\n20 0 1\n0 30 10", "line 4: inside range overlaps the extent on line 1"},
      {"50 0 5\n40 10 5\n0 20 100", "line 3: inside range overlaps the extent on line 1"},
  };
  for (const auto& [text, reason] : cases) {
    EXPECT_EQ(CheckMapWrite(text, MapKind::kUid, Root()).reason, reason + " (EINVAL)") << text;
  }
}

// The same verdicts and reasons as the kernel's way of comparing each new extent with every
// earlier one, over random maps in a small id space (so that most overlap somewhere).
TEST(KernelRules, OverlapAgreesWithComparingEveryPair) {
  std::mt19937 random(15);
  for (int round = 0; round < 20000; ++round) {
    std::uniform_int_distribution<uint32_t> id(0, 40), count(1, 6), lines(1, 12);
    IdMap map(lines(random));
    for (IdExtent& e : map) e = {id(random), id(random), count(random)};
    std::string expected;
    for (size_t n = 1; n < map.size() && expected.empty(); ++n) {
      for (size_t i = 0; i < n && expected.empty(); ++i) {
        auto overlap = [&](uint32_t IdExtent::*side) {
          return map[i].*side < map[n].*side + map[n].count &&
                 map[n].*side < map[i].*side + map[i].count;
        };
        const char* clash = overlap(&IdExtent::inside)    ? "inside"
                            : overlap(&IdExtent::outside) ? "outside"
                                                          : nullptr;
        if (clash) {
          expected = "line " + std::to_string(n + 1) + ": " + clash +
                     " range overlaps the extent on line " + std::to_string(i + 1) + " (EINVAL)";
        }
      }
    }
    std::string text = FormatIdMap(map);
    MapVerdict verdict = CheckMapWrite(text, MapKind::kUid, Root());
    EXPECT_EQ(verdict.accepted, expected.empty()) << text;
    EXPECT_EQ(verdict.reason, expected) << text;
    if (verdict.accepted) EXPECT_EQ(verdict.extents, map) << text;
  }
}

TEST(KernelRules, KernelWhiteSpaceSet) {
  std::string spaces;
  for (int c = 0; c < 256; ++c) {
    if (KernelIsSpace(static_cast<unsigned char>(c))) spaces += static_cast<char>(c);
  }
  EXPECT_EQ(spaces, "\t\n\v\f\r \xa0");
}

struct PermissionCase {
  MapKind kind;
  MapWriter writer;
  std::string text;
  int expected_errno;  // 0: accepted
};

TEST(KernelRules, WriterPermissions) {
  const PermissionCase cases[] = {
      // Root may map ranges and other ids, gid_map with or without setgroups denied.
      {MapKind::kUid, Root(), "0 872415232 65536", 0},
      {MapKind::kGid, Root(), "0 872415232 65536", 0},
      {MapKind::kGid, Root(), "100 30000 1", 0},
      {MapKind::kUid, Root(), "0 0 1\n1 100000 65536", 0},
      // The owner may map its own effective id once, with count 1, any inside id.
      {MapKind::kUid, Unprivileged(1000, 100, false), "0 1000 1", 0},
      {MapKind::kUid, Unprivileged(1000, 100, false), "1000 1000 1\n", 0},
      {MapKind::kUid, Unprivileged(1000, 100, false), "0 1000 2", EPERM},
      {MapKind::kUid, Unprivileged(1000, 100, false), "0 1001 1", EPERM},
      {MapKind::kUid, Unprivileged(1000, 100, false), "0 100 1", EPERM},  // its gid, not uid
      {MapKind::kUid, Unprivileged(1000, 100, false), "0 1000 1\n1 5000 1", EPERM},
      // gid_map: own egid and only after setgroups "deny".
      {MapKind::kGid, Unprivileged(1000, 100, true), "0 100 1", 0},
      {MapKind::kGid, Unprivileged(1000, 100, false), "0 100 1", EPERM},
      {MapKind::kGid, Unprivileged(1000, 100, true), "0 1000 1", EPERM},
      {MapKind::kGid, Unprivileged(1000, 100, true), "0 100 2", EPERM},
      // Mapping uid 0 of the parent needs CAP_SETFCAP, which an unprivileged writer lacks.
      {MapKind::kUid, Unprivileged(0, 0, false), "0 0 1", EPERM},
      // Syntax errors are found before permissions: EINVAL wins.
      {MapKind::kUid, Unprivileged(1000, 100, false), "0 1000 1 x", EINVAL},
      {MapKind::kUid, Unprivileged(1000, 100, false), "0 1000 0", EINVAL},
      {MapKind::kGid, Unprivileged(1000, 100, false), "0 100 1\n\n", EINVAL},
      // Ids above 2^31 are ids like any other.
      {MapKind::kUid, Unprivileged(3000000000u, 0, false), "0 3000000000 1", 0},
  };
  for (const PermissionCase& c : cases) {
    MapVerdict verdict = CheckMapWrite(c.text, c.kind, c.writer);
    EXPECT_EQ(verdict.accepted, c.expected_errno == 0) << c.text << ": " << verdict.reason;
    EXPECT_EQ(verdict.error_number, c.expected_errno) << c.text << ": " << verdict.reason;
    if (c.expected_errno == EPERM) {
      EXPECT_NE(verdict.reason.find("EPERM"), std::string::npos) << verdict.reason;
    }
  }
}

TEST(KernelRules, ListOrderKeepsUpToFiveExtentsAsWrittenAndSortsLarger) {
  IdMap five = {{40, 40, 1}, {30, 30, 1}, {20, 20, 1}, {10, 10, 1}, {0, 0, 1}};
  EXPECT_EQ(KernelListOrder(five), five);
  IdMap six = five;
  six.push_back({5, 5, 1});
  EXPECT_EQ(KernelListOrder(six),
            (IdMap{{0, 0, 1}, {5, 5, 1}, {10, 10, 1}, {20, 20, 1}, {30, 30, 1}, {40, 40, 1}}));
}

TEST(KernelRules, MapTextIsTheKernelsFixedWidthColumns) {
  EXPECT_EQ(KernelMapText({}), "");
  EXPECT_EQ(KernelMapText({{0, 1000, 1}}), "         0       1000          1\n");
  EXPECT_EQ(KernelMapText({{0, 0, 4294967295u}}), "         0          0 4294967295\n");
  EXPECT_EQ(KernelMapText({{7, 7, 1}, {1, 1, 1}}),  // two extents: write order
            "         7          7          1\n         1          1          1\n");
}

struct SetgroupsCase {
  std::string text;
  int expected_errno;  // on a fresh namespace; 0: accepted
  bool allowed_after;
};

TEST(KernelRules, SetgroupsTakesAllowOrDenyAndWhiteSpace) {
  const SetgroupsCase cases[] = {
      {"deny", 0, false},          {"deny\n", 0, false},
      {"deny\t\v\xa0", 0, false},  {"allow", 0, true},
      {"allow\n", 0, true},        {"deny\0ju"s, 0, false},  // read as a C string
      {"", EINVAL, true},          {"\n", EINVAL, true},
      {" deny", EINVAL, true},  // no leading white space
      {"denyx", EINVAL, true},     {"Deny", EINVAL, true},
      {"den", EINVAL, true},       {"allowed", EINVAL, true},
      {"deny   \n", EINVAL, true},  // 8 bytes: one too many
      {"deny  \n", 0, false},       // 7 bytes
  };
  for (const SetgroupsCase& c : cases) {
    UsernsFiles ns;
    WriteVerdict verdict = ApplyUsernsWrite(ns, UsernsFile::kSetgroups, c.text, Root());
    EXPECT_EQ(verdict.accepted, c.expected_errno == 0) << c.text << ": " << verdict.reason;
    EXPECT_EQ(verdict.error_number, c.expected_errno) << c.text;
    EXPECT_EQ(ns.setgroups_allowed, c.allowed_after) << c.text;
    EXPECT_EQ(KernelFileText(ns, UsernsFile::kSetgroups), c.allowed_after ? "allow\n" : "deny\n");
  }
}

TEST(KernelRules, SetgroupsAndGidMapOrder) {
  MapWriter owner = Unprivileged(1000, 100, false);
  {  // the unprivileged sequence: deny (twice is fine), then gid_map; no "deny" after it
    UsernsFiles ns;
    EXPECT_EQ(ApplyUsernsWrite(ns, UsernsFile::kGidMap, "0 100 1", owner).error_number, EPERM);
    EXPECT_TRUE(ApplyUsernsWrite(ns, UsernsFile::kSetgroups, "deny", owner).accepted);
    EXPECT_TRUE(ApplyUsernsWrite(ns, UsernsFile::kSetgroups, "deny\n", owner).accepted);
    EXPECT_TRUE(ApplyUsernsWrite(ns, UsernsFile::kGidMap, "0 100 1", owner).accepted);
    EXPECT_EQ(ApplyUsernsWrite(ns, UsernsFile::kSetgroups, "deny", owner).error_number, EPERM);
    EXPECT_EQ(ApplyUsernsWrite(ns, UsernsFile::kSetgroups, "allow", owner).error_number, EPERM);
    EXPECT_EQ(KernelFileText(ns, UsernsFile::kGidMap), "         0        100          1\n");
  }
  {  // gid_map first (privileged): setgroups stays allowed for good
    UsernsFiles ns;
    EXPECT_TRUE(ApplyUsernsWrite(ns, UsernsFile::kGidMap, "0 0 10", Root()).accepted);
    EXPECT_EQ(ApplyUsernsWrite(ns, UsernsFile::kSetgroups, "deny", Root()).error_number, EPERM);
    EXPECT_TRUE(ApplyUsernsWrite(ns, UsernsFile::kSetgroups, "allow", Root()).accepted);
    EXPECT_EQ(KernelFileText(ns, UsernsFile::kSetgroups), "allow\n");
  }
  {  // a bad setgroups word is EINVAL even where the word would be refused
    UsernsFiles ns;
    ASSERT_TRUE(ApplyUsernsWrite(ns, UsernsFile::kSetgroups, "deny", Root()).accepted);
    EXPECT_EQ(ApplyUsernsWrite(ns, UsernsFile::kSetgroups, "allow x", Root()).error_number, EINVAL);
  }
}

TEST(KernelRules, MapsAreWrittenOnceAfterTheSizeCheck) {
  UsernsFiles ns;
  EXPECT_EQ(ApplyUsernsWrite(ns, UsernsFile::kUidMap, "0 0 1 x", Root()).error_number, EINVAL);
  EXPECT_FALSE(ns.uid_map);  // a rejected write leaves the map unwritten
  EXPECT_TRUE(ApplyUsernsWrite(ns, UsernsFile::kUidMap, "0 0 1", Root()).accepted);
  EXPECT_EQ(ApplyUsernsWrite(ns, UsernsFile::kUidMap, "1 1 1", Root()).error_number, EPERM);
  EXPECT_EQ(ApplyUsernsWrite(ns, UsernsFile::kUidMap, "junk", Root()).error_number, EPERM);
  EXPECT_EQ(ApplyUsernsWrite(ns, UsernsFile::kUidMap, std::string(4096, ' '), Root()).error_number,
            EINVAL);
  EXPECT_EQ(KernelFileText(ns, UsernsFile::kUidMap), "         0          0          1\n");
  EXPECT_EQ(KernelFileText(ns, UsernsFile::kGidMap), "");
}

}  // namespace
}  // namespace sbx
