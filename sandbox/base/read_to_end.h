// Everything a pipe delivers until its writers are gone: the builder's error pipe.
#pragma once

#include <string>

namespace sbx {

// Reads fd to EOF (retrying EINTR); stops early on another error.
std::string ReadToEnd(int fd);

}  // namespace sbx
