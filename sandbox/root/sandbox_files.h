// Writes the generated etc/passwd and etc/group into a sandbox root. It never follows a
// symlink it did not create (etc and the files are opened beneath the root, beneath.h; files
// are created with O_EXCL) and never leaves a partial file: each file is written under a fresh
// temporary name and renamed over the final one, which replaces rather than follows
// whatever was there.
#pragma once

#include <string>

#include "sandbox/rules/passwd.h"

namespace sbx {

// SANDBOX_ROOT/etc must exist. Throws SysError naming the file.
void WriteEtcFiles(const std::string& sandbox_root, const EtcFiles& files);

// The same beneath the root's directory fd (a root without a path: sbx run's private
// tmpfs); `root_name` names it in errors.
void WriteEtcFilesAt(int root_fd, const std::string& root_name, const EtcFiles& files);

}  // namespace sbx
