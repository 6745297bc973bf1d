#include "cli/commands.h"

#include <cstdio>
#include <map>

namespace cria::cli {

namespace {

struct Command {
  int (*fn)(const Config&, const Args&);
  const char* summary;
};

const std::map<std::string, Command>& commands() {
  static const std::map<std::string, Command> kCommands = {
      {"generate", {cmd_generate, "Generate text in-process (--model PATH [options] PROMPT)"}},
      {"logits", {cmd_logits, "Logits of token ids as JSON lines (--model PATH --tokens \"1 2\")"}},
      {"show", {cmd_show, "Show facts about a GGUF model file (--file PATH [--verbose])"}},
      {"bench", {cmd_bench, "Prefill and decode speed (--model PATH [-p 512] [-n 128] [-t N])"}},
      {"devices", {cmd_devices, "List the compute devices this build can use"}},
      {"tokenize", {cmd_tokenize, "Token ids of a text (--model PATH [--no-bos] [--json] TEXT)"}},
      {"embed", {cmd_embed, "Embedding of a text (--model PATH [--json] TEXT)"}},
      {"version", {cmd_version, "Print the version"}},
      {"serve", {cmd_serve, "Start the server (OLLAMA_HOST, default 127.0.0.1:11434)"}},
      {"run", {cmd_run, "Run a model (MODEL [PROMPT]; MODEL may be a .gguf file)"}},
      {"create", {cmd_create, "Create a model from a Modelfile (MODEL [-f Modelfile] [-q TYPE])"}},
      {"pull", {cmd_pull, "Pull a model from a registry (MODEL [--insecure])"}},
      {"push", {cmd_push, "Push a model to a registry (MODEL [--insecure])"}},
      {"list", {cmd_list, "List models"}},
      {"ls", {cmd_list, "List models"}},
      {"ps", {cmd_ps, "List running models"}},
      {"cp", {cmd_cp, "Copy a model (SOURCE DESTINATION)"}},
      {"rm", {cmd_rm, "Remove models (MODEL [MODEL...])"}},
      {"stop", {cmd_stop, "Stop a running model (MODEL)"}},
      {"runner", {cmd_runner, "(internal) Serve one model to the server"}},
      {"quantize", {cmd_quantize, "Quantize a GGUF file (--input F --output F --type q4_K_M)"}},
  };
  return kCommands;
}

void print_help(FILE* out) {
  std::fprintf(out,
               "Cria: a fast, Ollama-compatible local LLM runtime\n\nUsage:\n"
               "  cria <command> [arguments]\n\nCommands:\n");
  for (const auto& [name, cmd] : commands()) {
    std::fprintf(out, "  %-10s %s\n", name.c_str(), cmd.summary);
  }
}

}  // namespace

int cmd_version(const Config& /*config*/, const Args& /*args*/) {
  std::printf("cria version %s\n", CRIA_VERSION);
  return 0;
}

int run(const Config& config, const Args& args) {
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    print_help(args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version" || args[0] == "-v") return cmd_version(config, {});
  auto it = commands().find(args[0]);
  if (it == commands().end()) {
    std::fprintf(stderr, "Error: unknown command \"%s\" for \"cria\"\n\n", args[0].c_str());
    print_help(stderr);
    return 2;
  }
  return it->second.fn(config, Args(args.begin() + 1, args.end()));
}

}  // namespace cria::cli
