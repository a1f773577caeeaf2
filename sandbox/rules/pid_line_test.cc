#include "sandbox/rules/pid_line.h"

#include <gtest/gtest.h>

namespace sbx {
namespace {

TEST(PidLine, FormatsAsTheHelperWrites) {
  EXPECT_EQ(FormatPidLine(1), "1\n");
  EXPECT_EQ(FormatPidLine(4194303), "4194303\n");
}

TEST(PidLine, RoundTrips) {
  for (pid_t pid : {1, 2, 99, 12345, 4194303}) {
    std::string why;
    EXPECT_EQ(ParsePidLine(FormatPidLine(pid), &why), pid) << why;
  }
}

TEST(PidLine, RejectsEverythingElse) {
  const char* bad[] = {"",      "\n",     "12",    "12\n\n",    "012\n",
                       "0\n",   "-5\n",   "+5\n",  " 5\n",      "5 \n",
                       "5 6\n", "5\n6\n", "abc\n", "4194304\n", "99999999999999999999\n",
                       "5\r\n", "0x10\n", "\xff\n"};
  for (const char* text : bad) {
    std::string why;
    EXPECT_EQ(ParsePidLine(text, &why), std::nullopt) << "accepted: " << text;
    EXPECT_FALSE(why.empty()) << text;
  }
}

}  // namespace
}  // namespace sbx
