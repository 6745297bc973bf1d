#include "server/app.h"

#include <sys/stat.h>

#include <fmt/core.h>

#include "gguf/reader.h"
#include "server/gguf_cache.h"

#include "base/log.h"
#include "server/estimate.h"

namespace cria::server {

App::App(const Config& c, std::unique_ptr<sched::RunnerFactory> factory)
    : config(c),
      store(c.models_dir),
      sched(sched::SchedOptions{.max_queue = c.max_queue,
                                .max_loaded_models = c.max_loaded_models,
                                .default_keep_alive = c.keep_alive},
            std::move(factory)),
      guard(c.host_addr.host, c.origins) {}

namespace {

// `cria run ./model.gguf`: a GGUF file given by absolute path runs without being
// imported; it has no layers besides the model, so its chat template comes from the file.
std::optional<Result<store::Model>> file_model(const std::string& path) {
  if (path.empty() || path[0] != '/' || path.size() < 6 ||
      path.compare(path.size() - 5, 5, ".gguf") != 0) {
    return std::nullopt;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Result<store::Model>(
        make_error(Errc::kNotFound, fmt::format("model file \"{}\" not found", path)));
  }
  auto file = open_gguf_cached(path);
  if (!file.ok()) return Result<store::Model>(std::move(file).error());
  store::Model m;
  m.short_name = path;
  m.model_path = path;
  m.config.model_family = std::string((*file)->architecture());
  m.modified = std::chrono::system_clock::from_time_t(st.st_mtime);
  return Result<store::Model>(std::move(m));
}

}  // namespace

Result<store::Model> find_model(const App& app, const std::string& name) {
  if (auto m = file_model(name)) return std::move(*m);
  auto parsed = store::Name::parse(name);
  if (!parsed.ok()) return std::move(parsed).error();
  auto model = store::resolve(app.store, *parsed);
  if (!model.ok() && model.error().code == Errc::kNotFound) {
    return make_error(Errc::kNotFound,
                      fmt::format("model \"{}\" not found, try pulling it first", name));
  }
  return model;
}

Result<api::Options> request_options(const App& app, const store::Model& model,
                                     const Json& request) {
  api::Options o;
  o.num_ctx = app.config.context_length;
  if (app.config.num_threads > 0) o.num_thread = app.config.num_threads;
  CRIA_RETURN_IF_ERROR(api::apply_options(model.params, o, nullptr));
  std::vector<std::string> unknown;
  CRIA_RETURN_IF_ERROR(api::apply_options(request, o, &unknown));
  for (const auto& u : unknown) log::warn("invalid option provided: {}", u);
  CRIA_RETURN_IF_ERROR(api::validate_options(o));
  return o;
}

sched::LoadSpec load_spec(const store::Model& model, const std::string& name,
                          const api::Options& options, int num_parallel) {
  sched::LoadSpec s;
  s.name = name;
  s.model_path = model.model_path;
  s.digest = model.digest;
  s.options = options;
  s.num_parallel = num_parallel;
  // Unknown (0) when the file cannot be read: loading it then reports why.
  if (auto estimate = estimate_memory(model.model_path, options, num_parallel); estimate.ok()) {
    s.estimated_bytes = estimate->total();
  } else {
    log::warn("cannot estimate the memory {} needs: {}", name, estimate.error().message);
  }
  return s;
}

}  // namespace cria::server
