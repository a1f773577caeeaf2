#!/bin/sh
# PID 1 of the test VM. Sets up the system a privileged test expects, runs /sbx/test.sh (written
# per run by run_vm.py) as root or as the unprivileged user `sbx`, reports its XML and exit
# status between markers carrying the run's nonce, and powers off.
# No `set -e`: PID 1 exiting panics the kernel, and every outcome must reach the report.
# Under TCG each command that forks costs 10-40 ms of boot: builtins (read, echo) where they do.

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs -o mode=1777 tmp /tmp
mkdir -p /dev/pts /dev/shm /home/sbx /tmp/sbx-out
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 shm /dev/shm
mount -t cgroup2 cgroup2 /sys/fs/cgroup
ip link set lo up
echo sbx-vm >/proc/sys/kernel/hostname

# The nonce lives only in this shell once read: the test cannot print it, so cannot forge a
# marker.
read -r nonce </sbx/nonce
rm -f /sbx/nonce
# shellcheck source=/dev/null
. /sbx/config # SBX_USER (root|rootless), SBX_GUEST_TIMEOUT (seconds)

printf '%s\n' root:x:0:0:root:/root:/bin/sh sbx:x:1000:1000:sbx:/home/sbx:/bin/sh \
  nobody:x:65534:65534:nobody:/nonexistent:/bin/false >/etc/passwd
printf '%s\n' root:x:0: sbx:x:1000: nogroup:x:65534: >/etc/group
echo 'sbx:100000:65536' >/etc/subuid
echo 'sbx:100000:65536' >/etc/subgid
chown sbx:sbx /home/sbx /tmp/sbx-out

enable_controllers() {
  read -r controllers </sys/fs/cgroup/cgroup.controllers
  for controller in $controllers; do
    echo "+$controller" >"$1/cgroup.subtree_control"
  done
}
enable_controllers /sys/fs/cgroup

# The guest's cgroups are disposable, so tests that would spare the host's may run here.
# SBX_VM_CGROUP is where the test may create cgroups; the test starts in its leaf vm-test.
export SBX_IN_VM=1 SBX_ALLOW_HOST_CGROUP=1
if [ "$SBX_USER" = rootless ]; then
  # Delegate a subtree the way systemd does to a user session: the user owns the directories
  # and their procs, subtree_control and threads files.
  export SBX_VM_CGROUP=/sys/fs/cgroup/sbx.user
  mkdir -p "$SBX_VM_CGROUP/vm-test"
  enable_controllers "$SBX_VM_CGROUP"
  for dir in "$SBX_VM_CGROUP" "$SBX_VM_CGROUP/vm-test"; do
    chown sbx:sbx "$dir" "$dir/cgroup.procs" "$dir/cgroup.subtree_control" "$dir/cgroup.threads"
  done
  set -- su -m -s /bin/sh sbx /sbx/test.sh
else
  export SBX_VM_CGROUP=/sys/fs/cgroup
  mkdir -p "$SBX_VM_CGROUP/vm-test"
  set -- sh /sbx/test.sh
fi

read -r uptime _ </proc/uptime
read -r release </proc/sys/kernel/osrelease
echo "SBX-$nonce-RUN $uptime $release"
(
  echo 0 >"$SBX_VM_CGROUP/vm-test/cgroup.procs"
  exec timeout -s TERM "$SBX_GUEST_TIMEOUT" "$@"
)
status=$?
if [ "$status" = 143 ]; then
  echo "vm: test killed after the guest time limit of ${SBX_GUEST_TIMEOUT} s"
fi

# Silence everything but the report: leftover test processes and kernel chatter would cut
# into the base64 lines.
kill -9 -1
dmesg -n 1
if [ -s /tmp/sbx-out/test.xml ]; then
  echo "SBX-$nonce-XML-BEGIN"
  base64 /tmp/sbx-out/test.xml
  echo "SBX-$nonce-XML-END"
fi
# Coverage runs only (run_vm.py made the directory): the profiles, the same way.
if [ -d /tmp/sbx-out/profiles ]; then
  echo "SBX-$nonce-PROFILES-BEGIN"
  tar -cz -C /tmp/sbx-out/profiles . | base64
  echo "SBX-$nonce-PROFILES-END"
fi
echo "SBX-$nonce-EXIT $status"
poweroff -f
