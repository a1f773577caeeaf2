// How every fuzz target shows the input that broke a property: printable ASCII as is,
// everything else as \xNN, so a reproducer can be read off the log.
#pragma once

#include <cstdio>
#include <string_view>

namespace sbx::fuzz {

// "text", escaped, on stderr.
inline void PrintQuoted(std::string_view text) {
  std::fputc('"', stderr);
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      std::fputc(c, stderr);
    } else {
      std::fprintf(stderr, "\\x%02x", c);
    }
  }
  std::fputc('"', stderr);
}

inline void PrintInput(std::string_view input) {
  std::fprintf(stderr, "input (%zu bytes): ", input.size());
  PrintQuoted(input);
  std::fputc('\n', stderr);
}

}  // namespace sbx::fuzz
