// What every route handler shares: configuration, the model store and the scheduler.
#pragma once

#include <memory>
#include <string>

#include "base/config.h"
#include "sched/scheduler.h"
#include "server/guard.h"
#include "store/model.h"
#include "store/store.h"

namespace cria::server {

using api::Json;

struct App {
  App(const Config& c, std::unique_ptr<sched::RunnerFactory> factory);

  Config config;
  store::Store store;
  sched::Scheduler sched;
  Guard guard;
};

// The model a request names, resolved in the store: 400 for an invalid name, 404
// ("model \"x\" not found, try pulling it first") for a missing one.
Result<store::Model> find_model(const App& app, const std::string& name);

// Options for a request: Ollama's defaults (num_ctx from OLLAMA_CONTEXT_LENGTH),
// then the model's parameters, then the request's options; validated.
Result<api::Options> request_options(const App& app, const store::Model& model,
                                     const Json& request_options);

// What the scheduler loads for this model and these options.
sched::LoadSpec load_spec(const store::Model& model, const std::string& name,
                          const api::Options& options, int num_parallel);

}  // namespace cria::server
