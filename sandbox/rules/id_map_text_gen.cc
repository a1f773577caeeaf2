#include "sandbox/rules/id_map_text_gen.h"

#include <algorithm>
#include <iterator>

namespace sbx {

std::string TextGen::Space() {
  if (clean_) return " ";
  static const char* const kGood[] = {" ", "  ", "\t", " \t ", "\v", "\f", "\r", "\xa0"};
  static const char* const kOdd[] = {"\x85", "\x1c", "\x1f", "\xc2\xa0", ""};
  if (Chance(8)) return kOdd[Uniform(std::size(kOdd))];
  if (Chance(60)) return " ";
  return kGood[Uniform(std::size(kGood))];
}

uint32_t TextGen::Id() {
  static const uint32_t kEdges[] = {0,           1,           100,         1000,
                                    65534,       65535,       65536,       2147483647u,
                                    2147483648u, 4294967294u, 4294967295u, 872415232u};
  switch (Uniform(4)) {
    case 0:
      return kEdges[Uniform(std::size(kEdges))];
    case 1:
      return U32();
    default:
      return static_cast<uint32_t>(Uniform(200000));
  }
}

uint32_t TextGen::Count(uint32_t first) {
  switch (Uniform(8)) {
    case 0:
      return 0;
    case 1:
      return 65536;
    case 2:
      return 4294967295u - first;  // last valid id exactly
    case 3:
      return 4294967295u - first + 1;  // one too far (wraps to 2^32 when first is 0)
    case 4:
      return U32();
    default:
      return 1 + static_cast<uint32_t>(Uniform(1000));
  }
}

std::string TextGen::Number(uint32_t value) {
  std::string digits = std::to_string(value);
  if (clean_) return digits;
  int roll = static_cast<int>(Uniform(100));
  if (roll < 8) return std::string(1 + Uniform(6), '0') + digits;  // leading zeros
  if (roll < 12) {  // the same value modulo 2^32, written bigger
    uint64_t k = 1 + Uniform(1000000);
    return std::to_string(uint64_t{value} + (k << 32));
  }
  if (roll < 15) {  // past 2^64: random long digit strings
    std::string big = std::to_string(1 + Uniform(9));
    for (size_t i = 0, n = 19 + Uniform(30); i < n; ++i)
      big += static_cast<char>('0' + Uniform(10));
    return big;
  }
  if (roll < 17) return "+" + digits;
  if (roll < 19) return "-" + digits;
  if (roll < 20) return "0x" + digits;
  return digits;
}

std::string TextGen::Line(const IdExtent& e) {
  std::string line;
  if (!clean_ && Chance(10)) line += Space();
  line += Number(e.inside) + Space() + Number(e.outside) + Space() + Number(e.count);
  if (!clean_ && Chance(10)) line += Space();
  return line;
}

IdMap TextGen::Extents(size_t n, bool compact) {
  IdMap map;
  uint64_t inside = compact ? Uniform(50) : Uniform(100000);
  uint64_t outside = compact ? Uniform(50) : Uniform(100000);
  for (size_t i = 0; i < n; ++i) {
    uint32_t count = compact ? 1 : 1 + static_cast<uint32_t>(Uniform(Chance(20) ? 100000 : 10));
    map.push_back({static_cast<uint32_t>(inside), static_cast<uint32_t>(outside), count});
    inside += count + (compact ? 0 : Uniform(3));
    outside += count + (compact ? 0 : Uniform(3));
  }
  if (Chance(50) && n > 1) {  // break the pairing: inside order differs from outside order
    for (size_t i = n - 1; i > 0; --i) {
      size_t j = Uniform(i + 1);
      std::swap(map[i].inside, map[j].inside);
      std::swap(map[i].count, map[j].count);
    }
    // Counts moved with inside ids; recompute outsides so they stay disjoint.
    uint64_t next = compact ? 0 : Uniform(1000);
    for (IdExtent& e : map) {
      e.outside = static_cast<uint32_t>(next);
      next += e.count + Uniform(2);
    }
  }
  if (Chance(30) && n > 1) std::shuffle(map.begin(), map.end(), rng_);  // input order != sorted
  return map;
}

std::string TextGen::Join(const IdMap& map) {
  std::string text;
  const char* eol = !clean_ && Chance(10) ? "\r\n" : "\n";
  for (size_t i = 0; i < map.size(); ++i) {
    if (i > 0) text += eol;
    text += Line(map[i]);
  }
  int end = static_cast<int>(Uniform(100));
  if (end < 55) {
    text += "\n";
  } else if (end < 60) {
    text += "\n\n";
  } else if (end < 63) {
    text += "\n \n";
  } else if (end < 65) {
    text += std::string("\n\0junk", 6);
  }
  return text;
}

std::string TextGen::Mutate(std::string text) {
  static const char kBytes[] = {'\0', 'x',    '+',    '-',    ' ',    '\t', '\n', '\v', '\f',
                                '\r', '\xa0', '\x85', '\x1c', '\xff', '#',  '0',  '9',  ':'};
  for (size_t round = 0, n = 1 + Uniform(3); round < n; ++round) {
    size_t at = text.empty() ? 0 : Uniform(text.size() + 1);
    switch (Uniform(3)) {
      case 0:
        text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), kBytes[Uniform(sizeof kBytes)]);
        break;
      case 1:
        if (at < text.size()) text.erase(at, 1);
        break;
      default:
        if (at < text.size()) text[at] = kBytes[Uniform(sizeof kBytes)];
    }
  }
  return text;
}

std::string TextGen::Next() {
  // A clean text has single spaces and plain numbers, so that the rule under test (limits,
  // overlaps, wraps) is the only thing that can reject it.
  clean_ = Chance(35);
  switch (Uniform(12)) {
    case 0:
    case 1:
    case 2: {  // well-formed-ish, few extents
      IdMap map;
      size_t n = 1 + Uniform(Chance(50) ? 2 : 8);
      if (Chance(60)) {
        map = Extents(n, false);
      } else {
        for (size_t i = 0; i < n; ++i) {
          uint32_t first = Id();
          map.push_back({first, Id(), Count(first)});
        }
      }
      return Join(map);
    }
    case 3: {  // an overlap on one side
      IdMap map = Extents(2 + Uniform(5), false);
      size_t a = Uniform(map.size()), b = Uniform(map.size());
      if (a != b) {
        if (Chance(50)) {
          map[b].inside = map[a].inside + static_cast<uint32_t>(Uniform(map[a].count));
        } else {
          map[b].outside = map[a].outside + static_cast<uint32_t>(Uniform(map[a].count));
        }
      }
      return Join(map);
    }
    case 4: {  // around the extent limit
      static const size_t kSizes[] = {5, 6, 339, 340, 341, 345};
      return Join(Extents(kSizes[Uniform(std::size(kSizes))], true));
    }
    case 5: {  // around the page size
      IdMap map = Extents(1 + Uniform(3), false);
      std::string tail = Join(map);
      size_t target = 4093 + Uniform(6);  // 4093..4098 bytes
      std::string pad = Chance(50)
                            ? std::string(target > tail.size() ? target - tail.size() : 0, ' ')
                            : std::string(target > tail.size() ? target - tail.size() : 0, '0');
      return pad + tail;
    }
    case 6:
    case 7:
    case 8:
    case 9:  // mutations of plausible maps
      return Mutate(Join(Extents(1 + Uniform(6), Chance(30))));
    case 10: {  // u32 edges alone
      uint32_t first = Chance(50) ? 4294967295u - static_cast<uint32_t>(Uniform(3)) : Id();
      uint32_t lower = Chance(50) ? 4294967295u - static_cast<uint32_t>(Uniform(3)) : Id();
      uint32_t count = static_cast<uint32_t>(Uniform(3));
      if (Chance(50))
        count = 4294967295u - std::max(first, lower) + static_cast<uint32_t>(Uniform(2));
      return Join({{first, lower, count}});
    }
    default: {  // short oddities
      static const char* const kOdd[] = {"",          "\n",       " ",         "0",
                                         "0 0",       "0 0 1",    "0 0 1 2",   "\n0 0 1",
                                         "0 0 1\n\n", " 0 0 1 ",  "0\t0\t1\n", "0 0 1\n1 1 1",
                                         "00 00 01",  "0 0 01\r", "0,0,1"};
      std::string text = kOdd[Uniform(std::size(kOdd))];
      if (Chance(20)) text = Mutate(text);
      return text;
    }
  }
}

}  // namespace sbx
