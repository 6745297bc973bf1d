// Parses bytes as GGUF and touches everything a successful parse exposes, so
// that any read outside the input is caught by AddressSanitizer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cria::test {

struct ExerciseResult {
  bool ok = false;
  std::string error;      // the refusal message when !ok
  uint64_t checksum = 0;  // over everything read, so the reads are not optimised away
};

ExerciseResult exercise_gguf(std::vector<uint8_t> bytes);

}  // namespace cria::test
