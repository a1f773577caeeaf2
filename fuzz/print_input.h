// How every fuzz target shows the input that broke a property: printable ASCII as is,
// everything else as \xNN, so a reproducer can be read off the log.
#pragma once

#include <cstdio>
#include <string_view>

namespace sbx::fuzz {

inline void PrintInput(std::string_view input) {
  std::fprintf(stderr, "input (%zu bytes): \"", input.size());
  for (unsigned char c : input) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      std::fputc(c, stderr);
    } else {
      std::fprintf(stderr, "\\x%02x", c);
    }
  }
  std::fprintf(stderr, "\"\n");
}

}  // namespace sbx::fuzz
