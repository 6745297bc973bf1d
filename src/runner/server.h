// The runner child process: loads one model and serves it to the scheduler over
// loopback HTTP (an internal protocol, not Ollama's API):
//   GET  /health      {"status":"ok","memory":{...},"n_ctx":N}
//   POST /tokenize    {"content":"...","add_special":true} -> {"tokens":[...]}
//   POST /detokenize  {"tokens":[...]} -> {"content":"..."}
//   POST /completion  {"prompt":"...","context":[...],"options":{...}, optional "format"
//                     (null, "json" or a JSON schema) or "grammar" (sampler/grammar.h text),
//                     "top_logprobs"} -> NDJSON: {"content":"..."} per piece, then
//                     {"done":true,"done_reason":...,
//                     "prompt_eval_count":..,"prompt_eval_duration":..,"eval_count":..,
//                     "eval_duration":..,"context":[...]} or {"error":"..."}
// Completions run in the Batcher's parallel sequences. While it loads, the process prints
// "progress F" lines on stdout (F: the fraction loaded, 0..1, rising; 1 once everything is
// ready), then "listening on 127.0.0.1:PORT" once it accepts connections, so the parent
// never guesses a port and can tell a slow load from a stalled one.
#pragma once

#include <string>

#include "engine/runner/context.h"

namespace cria::runner {

struct RunnerOptions {
  std::string model_path;
  int port = 0;              // 0: any free port
  int parallel = 1;          // sequences served at once, each with context.n_ctx positions
  std::string compute_lock;  // see runner/compute_gate.h
  engine::ContextOptions context;
};

// Serves until the process is terminated; returns an exit code.
int serve(const RunnerOptions& options);

}  // namespace cria::runner
