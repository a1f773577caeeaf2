// Random texts for one write to uid_map or gid_map, mixing the shapes the kernel's parser
// has to judge (spaces, signs, leading zeros, numbers past 2^32, overlaps, the extent limit,
// the page size, mutations): the inputs of id_map_kernel_agreement_test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

#include "sandbox/rules/id_map.h"

namespace sbx {

class TextGen {
 public:
  explicit TextGen(uint32_t seed) : rng_(seed) {}

  // The next text, of a shape drawn at random.
  std::string Next();

  // The pieces, for texts of a shape of the caller's.
  size_t Uniform(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool Chance(int percent) { return static_cast<int>(Uniform(100)) < percent; }
  uint32_t U32() { return static_cast<uint32_t>(rng_()); }
  std::string Space();
  uint32_t Id();
  // Decimal text of `value`, decorated the ways the kernel's parser must cope with.
  std::string Number(uint32_t value);
  std::string Mutate(std::string text);

 private:
  uint32_t Count(uint32_t first);
  std::string Line(const IdExtent& e);
  // Non-overlapping extents, inside and outside ranges each in increasing order, outside
  // optionally shuffled relative to inside.
  IdMap Extents(size_t n, bool compact);
  std::string Join(const IdMap& map);

  std::mt19937 rng_;
  bool clean_ = false;
};

}  // namespace sbx
