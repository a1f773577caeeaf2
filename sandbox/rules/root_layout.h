// What a sandbox root holds, named once for the parent that prepares it (sandbox_root.cc)
// and the builder that mounts onto it (run_child.cc).
#pragma once

namespace sbx {

// Host directories bound read-only (recursively, nosuid, nodev) into a fresh root, where the
// host has them; a host symlink (merged /usr: /bin -> usr/bin) is copied as a symlink.
inline constexpr const char* kSystemDirs[] = {"/usr", "/bin", "/sbin", "/lib", "/lib64"};

// Mount points every root gets.
inline constexpr const char* kMountPointDirs[] = {"etc", "proc", "dev", "dev/shm", "dev/pts"};

// A plain directory, mode 1777, as in Nix's chroot (a fresh root is on a tmpfs already); a
// build dir may lie in it.
inline constexpr const char* kTmpDir = "tmp";

// Host devices bound onto empty files the parent creates in ROOT/dev: the builder never
// creates a file itself (as an unmapped id it could not: EOVERFLOW).
inline constexpr const char* kDevNodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
// And /dev/kvm, for builds with Nix's kvm system feature (BuilderSteps::bind_kvm).
inline constexpr const char kKvmNode[] = "kvm";

// Symlinks in ROOT/dev: {name, target}.
inline constexpr const char* kDevLinks[][2] = {{"fd", "/proc/self/fd"},
                                               {"stdin", "/proc/self/fd/0"},
                                               {"stdout", "/proc/self/fd/1"},
                                               {"stderr", "/proc/self/fd/2"}};
// And /dev/ptmx, to the sandbox's own devpts, where the host has /dev/pts/ptmx (as Nix).
inline constexpr const char* kPtmxLink[2] = {"ptmx", "pts/ptmx"};

// What the start writes into ROOT/etc (sandbox_files.cc); removed with a fresh root.
inline constexpr const char* kEtcPasswd = "passwd";
inline constexpr const char* kEtcGroup = "group";
inline constexpr const char* kStartEtcFiles[] = {kEtcPasswd, kEtcGroup};

// ROOT/etc/hosts, as Nix and Lix write it for a build with a private network.
inline constexpr char kEtcHosts[] = "127.0.0.1 localhost\n::1 localhost\n";

}  // namespace sbx
