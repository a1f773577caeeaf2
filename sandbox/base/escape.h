// Bytes shown as one line of text: a backslash and every byte outside printable ASCII become
// escapes (\\, \n, \t, \xHH), so that exact bytes survive a log line or a table cell, compare
// as text, and can be read back. Errors quoting user input, the conformance probe's values
// and the fuzzers' reproducers all show bytes this way.
#pragma once

#include <string>
#include <string_view>

namespace sbx {

std::string EscapeBytes(std::string_view bytes);

}  // namespace sbx
