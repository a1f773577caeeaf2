// One observable's value on one line: backslash, and every byte outside printable ASCII,
// become escapes (\\, \n, \t, \xHH), so exact file bytes survive and compare as text.
#pragma once

#include <string>

namespace sbx::conformance {

inline std::string Escape(const std::string& value) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace sbx::conformance
