// libFuzzer entry point for the GGUF reader (preset "fuzz", clang).
#include <cstddef>
#include <cstdint>

#include "fuzz/gguf_exercise.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cria::test::exercise_gguf(std::vector<uint8_t>(data, data + size));
  return 0;
}
