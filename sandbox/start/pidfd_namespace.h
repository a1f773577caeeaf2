// PIDFD_GET_MNT_NAMESPACE and PIDFD_GET_USER_NAMESPACE (linux/pidfd.h, Linux 6.11+), which
// older headers lack: a namespace fd straight from a pidfd, without a path walk in /proc.
// An older kernel's pidfd answers ENOTTY.
#pragma once

#include <sys/ioctl.h>

namespace sbx {

inline constexpr unsigned long kPidfdGetMountNamespace = _IO(0xFF, 3);
inline constexpr unsigned long kPidfdGetUserNamespace = _IO(0xFF, 9);

}  // namespace sbx
