#!/usr/bin/env bash
# Writes a copy of the real validator (sandbox/rules/id_map_kernel_rules.cc) with an off-by-one
# planted in its overlap test ("<=" becomes "<", so ranges sharing only their first or last
# id pass as disjoint), moved into namespace sbx::fuzz::planted. Only the part up to
# CheckMapWrite's end is copied (the marker line below), so the copy defines nothing else.
# Fails loudly if the source no longer has the line to patch or the marker, so the demo
# cannot silently test an unbroken copy.
#
# Usage: plant_overlap_bug.sh SRC OUT
set -euo pipefail

src=$1 out=$2
correct='return a <= b_last && b <= a_last;'
marker="// Beyond one write's verdict: list order, file texts, the namespace's state."
if [[ $(grep -cF "$correct" "$src") != 1 || $(grep -cx 'namespace sbx {' "$src") != 1 ||
  $(grep -cxF "$marker" "$src") != 1 ]]; then
  echo "plant_overlap_bug.sh: $src changed; update the patch to plant the bug again" >&2
  exit 1
fi
sed -e 's/^namespace sbx {$/namespace sbx::fuzz::planted {/' \
  -e 's|return a <= b_last && b <= a_last;|return a < b_last \&\& b < a_last;  // PLANTED BUG (was <=)|' \
  "$src" | sed -e "/^${marker//\//\\/}\$/,\$d" >"$out"
echo '}  // namespace sbx::fuzz::planted' >>"$out"
grep -q 'PLANTED BUG' "$out"
