// How every fuzz target shows the input that broke a property: escaped, one line, so a
// reproducer can be read off the log.
#pragma once

#include <cstdio>
#include <string_view>

#include "sandbox/base/escape.h"

namespace sbx::fuzz {

// "text", escaped (sandbox/base/escape.h), on stderr.
inline void PrintQuoted(std::string_view text) {
  std::fprintf(stderr, "\"%s\"", EscapeBytes(text).c_str());
}

inline void PrintInput(std::string_view input) {
  std::fprintf(stderr, "input (%zu bytes): ", input.size());
  PrintQuoted(input);
  std::fputc('\n', stderr);
}

}  // namespace sbx::fuzz
