// The texts of the built-in templates (internal to src/template; see library.h).
#pragma once

namespace cria::tmpl::texts {

extern const char* const kChatml;
extern const char* const kQwen25;
extern const char* const kQwen3;
extern const char* const kSmollm3;
extern const char* const kLlama2;
extern const char* const kLlama3;
extern const char* const kLlama31Date;
extern const char* const kLlama32Date;
extern const char* const kLlama31Body;
extern const char* const kMistral;
extern const char* const kGemma;
extern const char* const kPhi3;
extern const char* const kZephyr;
extern const char* const kGranite;
extern const char* const kDeepseekR1;
extern const char* const kGptOss;

}  // namespace cria::tmpl::texts
