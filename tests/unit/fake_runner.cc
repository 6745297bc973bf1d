// A stand-in for `cria runner` in process_runner_test: it speaks the runner's startup
// protocol (progress lines, the port line, /health) without loading anything. The
// scheduler starts it as `fake_runner runner --model SCRIPT --port 0 ...`; SCRIPT says
// what to do:
//   steady:N:MS  N progress lines MS milliseconds apart, then serve
//   stall:F      one "progress F" line, then hang
//   die:F        one "progress F" line, an "Error: ..." line on stderr, then exit 1
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <httplib.h>

namespace {

void progress(double fraction) {
  std::printf("progress %.3f\n", fraction);
  std::fflush(stdout);
}

void sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

int serve() {
  httplib::Server server;
  server.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"ok","memory":{"total":1048576},"n_ctx":256})",
                    "application/json");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port < 0) return 1;
  std::printf("listening on 127.0.0.1:%d\n", port);
  std::fflush(stdout);
  return server.listen_after_bind() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || std::string(argv[2]) != "--model") return 2;
  const std::string script = argv[3];
  int n = 0, ms = 0;
  double f = 0;
  if (std::sscanf(script.c_str(), "steady:%d:%d", &n, &ms) == 2) {
    for (int i = 1; i <= n; ++i) {
      sleep_ms(ms);
      progress(static_cast<double>(i) / n);
    }
    return serve();
  }
  if (std::sscanf(script.c_str(), "stall:%lf", &f) == 1) {
    progress(f);
    sleep_ms(60'000);
    return 0;
  }
  if (std::sscanf(script.c_str(), "die:%lf", &f) == 1) {
    progress(f);
    std::fprintf(stderr, "Error: out of memory loading the weights\n");
    return 1;
  }
  return 2;
}
