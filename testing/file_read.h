// Whole-file reads for tests and fuzzers alike: no GoogleTest here (a fuzzer must not link
// it), so the replay driver, the agreement test and testing/util share one reader.
#pragma once

#include <optional>
#include <string>

namespace sbx::testing {

// Everything `fd` yields until end of file (a read interrupted by a signal is retried), or
// nullopt if a read fails.
std::optional<std::string> ReadToEnd(int fd);

// The whole content of the file at `path`, or nullopt if it cannot be opened or read.
std::optional<std::string> ReadWholeFile(const std::string& path);

}  // namespace sbx::testing
