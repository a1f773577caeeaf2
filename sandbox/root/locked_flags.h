// The flags of a mount that a user namespace cannot drop on a bind remount (the kernel
// locks them): a remount in the builder repeats them, or fails with EPERM.
#pragma once

#include <sys/mount.h>
#include <sys/statvfs.h>

namespace sbx {

inline unsigned long LockedFlags(const struct statvfs& st) {
  unsigned long flags = 0;
  if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  if (st.f_flag & ST_RDONLY) flags |= MS_RDONLY;
  return flags;
}

}  // namespace sbx
