// The id_map_kernel fuzzer's input: who writes to a fresh user namespace, and which writes
// to its uid_map, gid_map and setgroups, in which order (a testing/userns_writes.h scenario).
//
//   byte 0   the writer: 'r' root of the initial namespace (writing from there);
//            'o' / 'i' the namespace's unprivileged owner writing from outside (the initial
//            namespace) / from inside; 'c' / 'C' the same for uid 0 without capabilities;
//            any other byte: its value modulo 5, in that order
//   byte 1   the owner's euid and egid: '0' 1000/1000, '1' 54321/54322, '2'
//            4294967294/4294967294, '3' 1000/0; any other byte: its value modulo 4
//   then     up to kMaxSteps writes joined by "\n--", each its file ('u' uid_map, 'g' gid_map,
//            's' setgroups; any other byte: its value modulo 3) and the bytes written
//
// e.g. "o0s" "deny" "\n--" "g" "0 1000 1" "\n--" "u" "0 1000 1": the unprivileged sequence.
#pragma once

#include <string_view>

#include "sandbox/rules/id_map_kernel_rules.h"
#include "testing/userns_writes.h"

namespace sbx::fuzz {

inline constexpr std::string_view kStepSeparator = "\n--";

// The steps' bytes point into `input`.
testing::Scenario ParseScenario(std::string_view input);

// The writer as id_map_kernel_rules models it.
MapWriter ModelWriter(const testing::Writer& writer);

}  // namespace sbx::fuzz
