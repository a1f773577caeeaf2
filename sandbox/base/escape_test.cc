#include "sandbox/base/escape.h"

#include <gtest/gtest.h>

#include <string>

namespace sbx {
namespace {

TEST(EscapeBytes, PrintableAsciiStaysAsIs) {
  EXPECT_EQ(EscapeBytes("root:x:0:0:/build"), "root:x:0:0:/build");
  EXPECT_EQ(EscapeBytes(""), "");
}

TEST(EscapeBytes, EveryOtherByteIsEscaped) {
  EXPECT_EQ(EscapeBytes("a\nb\tc\\d"), "a\\nb\\tc\\\\d");
  EXPECT_EQ(EscapeBytes(std::string("\0\x1f\x7f\x80\xff", 5)), "\\x00\\x1f\\x7f\\x80\\xff");
}

// One line whatever the input: no byte of the output is a control byte or non-ASCII.
TEST(EscapeBytes, OutputIsOneLineOfPrintableAscii) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  for (unsigned char c : EscapeBytes(all)) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << int(c);
}

// Distinct inputs stay distinct (the escape is reversible): a backslash is doubled.
TEST(EscapeBytes, BackslashSequencesDoNotCollide) {
  EXPECT_NE(EscapeBytes("\n"), EscapeBytes("\\n"));
  EXPECT_NE(EscapeBytes("\x01"), EscapeBytes("\\x01"));
}

}  // namespace
}  // namespace sbx
