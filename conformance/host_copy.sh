# Sourced by private_nix.sh and host_variant.sh, inside a private mount namespace: a copy of
# the host's / to change without touching the host, and the switch into it.

# copy_host_root NEW [SKIP...]: NEW (a fresh tmpfs) gets every top-level entry of the host's
# /, directories bound recursively, files bound, symlinks copied; the names in SKIP are left
# for the caller to provide.
copy_host_root() {
  local new=$1 entry name
  shift
  for entry in /* /.[!.]*; do
    [[ -e $entry || -L $entry ]] || continue
    name=${entry#/}
    [[ " $* " == *" $name "* ]] && continue
    copy_entry "$entry" "$new/$name"
  done
  # The recursive bind of the directory NEW lies in (/tmp) copied NEW too, with what was
  # bound in it so far: not part of the host.
  if mountpoint -q "$new$new"; then umount -R "$new$new"; fi
}

# copy_entry SOURCE TARGET: a symlink copied, a directory bound recursively, else bound.
copy_entry() {
  if [[ -L $1 ]]; then
    ln -s "$(readlink "$1")" "$2"
  elif [[ -d $1 ]]; then
    mkdir "$2"
    mount --rbind "$1" "$2"
  else
    touch "$2"
    mount --bind "$1" "$2"
  fi
}

# enter_root NEW CMD...: NEW becomes / (pivot_root, not chroot: the kernel refuses user
# namespaces to a chrooted process), the old root is detached, CMD runs in /.
enter_root() {
  cd "$1"
  shift
  mkdir old-root
  pivot_root . old-root
  exec chroot . /bin/sh -c 'umount -l /old-root && rmdir /old-root && cd / && exec "$@"' sh "$@"
}
