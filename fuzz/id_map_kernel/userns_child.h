// A child process in a fresh user namespace whose uid_map has not been written yet: the
// kernel side of the id_map differential. A rejected write leaves the map unwritten, so one
// child serves every rejected input; only an accepted write uses it up.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "sandbox/id_map.h"

namespace sbx_fuzz {

// Why the kernel differential cannot run here (not root of the initial user namespace, no
// user namespaces), or nullopt when it can.
std::optional<std::string> UsernsUnavailableReason();

class UsernsChild {
 public:
  UsernsChild() = default;
  UsernsChild(const UsernsChild&) = delete;
  UsernsChild& operator=(const UsernsChild&) = delete;
  ~UsernsChild();

  struct WriteResult {
    bool accepted = false;
    int error_number = 0;  // errno of the rejected write(2)
    sbx::IdMap extents;    // on acceptance: /proc/PID/uid_map as the kernel shows it
  };

  // One write(2) of `bytes` at offset 0 to the child's uid_map; spawns a child first when
  // there is none. Aborts if the child cannot be made or the map cannot be read back.
  WriteResult WriteUidMap(std::string_view bytes);

 private:
  void Spawn();
  void Reap();

  pid_t pid_ = -1;
  int map_fd_ = -1;
};

}  // namespace sbx_fuzz
