# Sourced by bench/run_all.sh: how each benchmark family is run, for one binary or for the
# shellcheck shell=bash disable=SC2154  # the settings are the caller's (bench/run_all.sh)
# base and the change of an A/B run. Reads the caller's settings: here, PYTHON, reps,
# paired_reps, min_time, rounds, family_timeout, threads, quick, floor_bin (bench/floor_run,
# the floor of sbx run's whole work: the change's, for both sides of an A/B run, as the
# scripts are); appends to its `failed` array.

log() { echo "bench: $*" >&2; }

# One Google Benchmark process. Within it, repetitions of floor, lix and fast are
# interleaved at random, so the machine's drift hits all three alike.
run_family() {  # dir name filter repetitions bench_bin [label]
  local dir="$1" name="$2" filter="$3" n="$4" bin="$5" label="${6:+ for $6}" status=0
  mkdir -p "$dir"
  log "running $name ($n repetitions, min time ${min_time}s)$label"
  # A start that hangs must not hang the harness: the family fails after a bound, the
  # others still run, and the run ends with a failure naming it.
  timeout --kill-after=10 "$family_timeout" "$bin" --benchmark_filter="$filter" \
    --benchmark_repetitions="$n" --benchmark_min_time="$min_time" \
    --benchmark_display_aggregates_only=true --benchmark_enable_random_interleaving=true \
    --benchmark_out="$dir/$name.json" --benchmark_out_format=json || status=$?
  if ((status == 124)); then
    log "error: $name timed out after ${family_timeout}s$label"
    failed+=("$name${6:+ ($6)}")
  elif ((status != 0)); then
    log "error: $name failed (exit $status)$label"
    failed+=("$name${6:+ ($6)}")
  fi
}

run_end_to_end() {  # dir rounds sbx_bin [label]
  log "running end to end ($2 interleaved rounds)${4:+ for $4}"
  mkdir -p "$1"
  local args=(--sbx "$3" --rounds "$2" --out "$1/end_to_end.json")
  [[ -n "${floor_bin:-}" ]] && args+=(--floor "$floor_bin")
  if ! "$PYTHON" "$here/end_to_end.py" "${args[@]}"; then
    log "error: end_to_end failed${4:+ for $4}"
    failed+=("end_to_end${4:+ ($4)}")
  fi
}

# CPU per run (whole machine) and runs per second with N at once (issue 30). Fails when a
# tool left something behind; an unmet target fails nothing.
run_throughput() {  # dir sbx_bin [label]
  log "running throughput (CPU per run and runs per second, interleaved)${3:+ for $3}"
  mkdir -p "$1"
  local args=(--sbx "$2" --out "$1/throughput.json")
  [[ -n "${floor_bin:-}" ]] && args+=(--floor "$floor_bin")
  ((quick)) && args+=(--quick)
  if ! timeout --kill-after=10 "$family_timeout" "$PYTHON" "$here/throughput.py" "${args[@]}"; then
    log "error: throughput failed${3:+ for $3}"
    failed+=("throughput${3:+ ($3)}")
  fi
}

# A family by the name the checks use (bench/checked_ratios.py). `headline`: flags, threads
# and churn run only their headline case (what a re-run needs). div halves the repetitions
# for the two segments of each side of an A/B run.
run_named_family() {  # dir family scope(all|headline) div bench_bin sbx_bin [label]
  local dir="$1" family="$2" scope="$3" div="$4" bin="$5" sbx="$6" label="${7:-}" filter
  local r=$(((reps + div - 1) / div)) pr=$(((paired_reps + div - 1) / div))
  local head=0
  [[ $scope == headline ]] && head=1
  case "$family" in
    flags)
      if ((head)); then filter='^flags/[a-z]+/seed/'; else filter='^flags/'; fi
      run_family "$dir" flags "$filter" "$r" "$bin" "$label" ;;
    threads)
      if ((head)); then
        filter='^threads/[a-z]+/manual_time/threads:1$'
      else
        filter="^threads/[a-z]+/manual_time/threads:$threads\$"
      fi
      run_family "$dir" threads "$filter" "$r" "$bin" "$label" ;;
    churn)
      if ((head)); then filter='^churn/[a-z]+/off/'; else filter='^churn/'; fi
      run_family "$dir" churn "$filter" "$r" "$bin" "$label" ;;
    paired) run_family "$dir" paired '^paired/' "$pr" "$bin" "$label" ;;
    parent_rss_*)
      run_family "$dir" "$family" "^parent_rss/[a-z]+/${family#parent_rss_}/" "$r" "$bin" \
        "$label" ;;
    end_to_end) run_end_to_end "$dir" $(((rounds + div - 1) / div)) "$sbx" "$label" ;;
    throughput) run_throughput "$dir" "$sbx" "$label" ;;
    *) log "error: no such family: $family" && return 1 ;;
  esac
}

# Base and change, family by family: A B B A for the first, B A A B for the next, ...; each
# segment its own process with half the repetitions, into DIR/{base,change}-{1,2}/, each
# summarized there. A drift of the machine during a family hits both sides alike.
ab_families() {  # dir base_bin_dir change_bin_dir family...
  local dir="$1" base="$2" change="$3" k=0 side n bindir
  shift 3
  local total=$(($# * 4)) step=0
  for family in "$@"; do
    local -A seen=([base]=0 [change]=0)
    local order=(base change change base)
    ((k % 2)) && order=(change base base change)
    for side in "${order[@]}"; do
      n=$((++seen[$side]))
      step=$((step + 1))
      [[ $side == base ]] && bindir="$base" || bindir="$change"
      log "A/B [$step/$total] $family: $side ($n of 2)"
      run_named_family "$dir/$side-$n" "$family" all 2 "$bindir/clone_to_release_bench" \
        "$bindir/sbx" "$side-$n"
    done
    unset seen
    k=$((k + 1))
  done
  for seg in "$dir"/base-? "$dir"/change-?; do
    "$PYTHON" "$here/summarize.py" "$seg" "${summary_flags[@]}"
  done
}
