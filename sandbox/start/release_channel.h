// The pipe through which the parent releases the child (spec 13-16), with the corrected
// protocol of nix#13923: the parent writes "1\n" (go) or "0\n" (abort) and the child reads
// one line, so a stray process holding a copy of the write end cannot keep it waiting for
// an EOF that never comes.
#pragma once

#include "sandbox/base/unique_fd.h"

namespace sbx {

class ReleaseChannel {
 public:
  // Both ends O_CLOEXEC. Throws SysError.
  static ReleaseChannel Open();

  int child_end() const { return read_.get(); }
  int parent_end() const { return write_.get(); }

  // Parent, once the child holds its own copy of the read end.
  void CloseChildEnd() { read_.reset(); }
  // Parent: "1\n", then close. Throws SysError.
  void Release();
  // Parent, on failure: "0\n" (best effort), then close.
  void Abort() noexcept;

  // What the child read.
  enum class Verdict {
    kGo,       // exactly "1\n"
    kAborted,  // exactly "0\n": the parent failed, and says why itself
    kBroken,   // anything else, or EOF: the parent died, or something else wrote
  };
  // Child, before anything else: drops its copy of the write end and reads one line. Raw
  // syscalls only: safe in a child that shares the parent's memory.
  static Verdict AwaitRelease(int read_fd, int write_fd);

 private:
  UniqueFd read_, write_;
};

}  // namespace sbx
