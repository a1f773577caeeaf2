#include "sandbox/rules/id_map.h"

#include <gtest/gtest.h>

namespace sbx {
namespace {

struct FormatCase {
  IdMap map;
  std::string expected;
};

TEST(IdMap, FormatsAsTheSeedWrites) {
  const FormatCase cases[] = {
      {{}, ""},
      {{{1000, 30001, 1}}, "1000 30001 1"},
      {{{0, 872415232, 65536}}, "0 872415232 65536"},
      {{{0, 0, 1}, {1, 100000, 65535}}, "0 0 1\n1 100000 65535"},
      // Unsigned decimal: no sign, no padding, even at and above 2^31.
      {{{2147483648u, 4294967294u, 4294967295u}}, "2147483648 4294967294 4294967295"},
      {{{2147483647, 2147483648u, 1}}, "2147483647 2147483648 1"},
  };
  for (const FormatCase& c : cases) EXPECT_EQ(FormatIdMap(c.map), c.expected);
}

TEST(IdMap, FormatsOneExtent) {
  EXPECT_EQ(FormatIdExtent({7, 8, 9}), "7 8 9");
  EXPECT_EQ(FormatIdExtent({4294967295u, 0, 4294967295u}), "4294967295 0 4294967295");
}

TEST(IdMap, NoTrailingNewline) {
  std::string text = FormatIdMap({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}});
  ASSERT_FALSE(text.empty());
  EXPECT_NE(text.back(), '\n');
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
}

TEST(IdMap, ExtentsCompareByAllFields) {
  EXPECT_EQ((IdExtent{1, 2, 3}), (IdExtent{1, 2, 3}));
  EXPECT_NE((IdExtent{1, 2, 3}), (IdExtent{0, 2, 3}));
  EXPECT_NE((IdExtent{1, 2, 3}), (IdExtent{1, 0, 3}));
  EXPECT_NE((IdExtent{1, 2, 3}), (IdExtent{1, 2, 0}));
}

}  // namespace
}  // namespace sbx
