// Opening models for engine tests.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "engine/runner/context.h"
#include "support/shared_data.h"

namespace cria::test {

// The model the repository ships.
inline std::string stories_path() {
  return source_dir() + "/models/stories260K.gguf";
}

// Opens `path` or fails the current test (returns nullptr).
inline std::unique_ptr<engine::Context> open_model(const std::string& path,
                                                   const engine::ContextOptions& opt) {
  auto ctx = engine::Context::open(path, opt);
  EXPECT_TRUE(ctx.ok()) << ctx.error().message;
  return ctx.ok() ? std::move(ctx).value() : nullptr;
}

}  // namespace cria::test
