#include "testing/file_read.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace sbx::testing {
namespace {

std::string TempPath(const char* name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

TEST(FileRead, WholeFileByteForByte) {
  // Larger than one read's buffer, with NULs and no final newline.
  std::string content;
  for (int i = 0; i < 10000; ++i) content += static_cast<char>(i % 251);
  const std::string path = TempPath("file_read_whole");
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  close(fd);
  EXPECT_EQ(ReadWholeFile(path), content);
}

TEST(FileRead, EmptyFileIsEmptyNotMissing) {
  const std::string path = TempPath("file_read_empty");
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
  EXPECT_EQ(ReadWholeFile(path), std::string());
}

TEST(FileRead, MissingFileAndUnreadableFd) {
  EXPECT_EQ(ReadWholeFile(TempPath("file_read_does_not_exist")), std::nullopt);
  const std::string dir = std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp";
  EXPECT_EQ(ReadWholeFile(dir), std::nullopt);  // a directory opens but cannot be read
}

TEST(FileRead, PipeUntilClosed) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  ASSERT_EQ(write(fds[1], "abc\n", 4), 4);
  close(fds[1]);
  EXPECT_EQ(ReadToEnd(fds[0]), "abc\n");
  close(fds[0]);
}

}  // namespace
}  // namespace sbx::testing
