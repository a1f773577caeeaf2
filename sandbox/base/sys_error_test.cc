#include "sandbox/base/sys_error.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace sbx {
namespace {

TEST(SysError, RefusedHasNoErrno) {
  SysError e = SysError::Refused("build dir is / itself");
  EXPECT_TRUE(e.refused());
  EXPECT_EQ(e.error(), 0);
  EXPECT_STREQ(e.what(), "build dir is / itself");
}

TEST(SysError, FailedStepCarriesItsErrno) {
  SysError e("writing uid_map \"1000 0 1\"", EPERM);
  EXPECT_FALSE(e.refused());
  EXPECT_STREQ(e.what(), "writing uid_map \"1000 0 1\": Operation not permitted");
  EXPECT_STREQ(e.Within("in the helper").what(),
               "in the helper: writing uid_map \"1000 0 1\": Operation not permitted");
  EXPECT_EQ(e.Within("in the helper").error(), EPERM);
}

// What crosses a pipe comes back whole: the step (spaces, colons and all) and the errno.
TEST(SysError, EncodeDecodeRoundTrips) {
  for (const SysError& e : {SysError("cloning the builder", ENOSPC), SysError::Refused("no: way"),
                            SysError("exec /bin/no such", ENOENT), SysError("", EIO)}) {
    SysError back = SysError::Decode(e.Encode());
    EXPECT_EQ(back.step(), e.step());
    EXPECT_EQ(back.error(), e.error());
    EXPECT_STREQ(back.what(), e.what());
  }
}

TEST(SysError, DecodeOfAnythingElseIsAStepWithoutErrno) {
  for (const char* text : {"", "no errno here", " 5 leading space", "12x step", "99999999 big"}) {
    SysError e = SysError::Decode(text);
    EXPECT_EQ(e.step(), text);
    EXPECT_EQ(e.error(), 0);
  }
}

}  // namespace
}  // namespace sbx
