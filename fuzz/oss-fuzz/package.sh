#!/usr/bin/env bash
# Lays out one fuzz target's side files the way OSS-Fuzz and ClusterFuzzLite expect them in
# $OUT: NAME_seed_corpus.zip (flat), NAME.dict, NAME.options. Used by the Bazel rule
# (:NAME_oss_fuzz) and by build.sh, so both produce the same files.
#
# Usage: package.sh --name NAME --out DIR --dict FILE --options FILE SEED...
set -euo pipefail

name='' out='' dict='' options=''
while (($#)); do
  case $1 in
    --name) name=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --dict) dict=$2; shift 2 ;;
    --options) options=$2; shift 2 ;;
    --) shift; break ;;
    -*) echo "package.sh: unknown flag $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
if [[ -z $name || -z $out || -z $dict || -z $options ]] || (($# == 0)); then
  echo "usage: package.sh --name NAME --out DIR --dict FILE --options FILE SEED..." >&2
  exit 2
fi

# Seeds are stored flat in the zip, so two seeds with one base name would silently collide.
dupes=$(for seed in "$@"; do basename "$seed"; done | sort | uniq -d)
if [[ -n $dupes ]]; then
  echo "package.sh: seed names collide: $dupes" >&2
  exit 1
fi

mkdir -p "$out"
zip_path="$out/${name}_seed_corpus.zip"
rm -f "$zip_path"
# -X: no extra attributes, so the zip depends on contents and names only.
zip -q -X -j "$zip_path" "$@"
cp "$dict" "$out/$name.dict"
cp "$options" "$out/$name.options"
