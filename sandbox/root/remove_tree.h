// Removing a tree a builder wrote into: its build dir, or a fresh root. A builder is hostile
// by design, so the tree may hold anything: directories of mode 000, a chain 10 000 levels
// deep, 100 000 entries, FIFOs, sockets, names with newlines, symlinks and hard links to
// host files, mounts. The remover follows no symlink, crosses no mount (it stops at a mount
// root or another device), never opens a file that is not a directory (a FIFO would block),
// and holds a bounded number of fds whatever the depth (it climbs back through "..", checked
// by device and inode), so nothing outside the tree is touched or left open.
#pragma once

#include <string>

namespace sbx {

// Removes `name` beneath the directory fd `at` (AT_FDCWD: a path) and everything in it; a
// directory whose mode keeps its owner out is opened up first (an unprivileged caller owns
// what its builder made). What cannot be removed (a mount below it) is left. Returns true
// when nothing is left.
bool RemoveTreeAt(int at, const char* name);

// RemoveTreeAt(AT_FDCWD, path).
bool RemoveTree(const std::string& path);

}  // namespace sbx
