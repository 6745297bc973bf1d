// Guard: the Host-header check against DNS rebinding and the CORS origin list.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "server/guard.h"

namespace cria::server {
namespace {

TEST(Guard, LoopbackServerAcceptsOnlyLocalHostHeaders) {
  Guard g("127.0.0.1", {});
  for (const char* ok : {"localhost", "LOCALHOST:11434", "127.0.0.1:11434", "127.0.0.1", "[::1]",
                         "[::1]:11434", "foo.localhost", "box.local:80", "10.0.0.5:11434", ""}) {
    EXPECT_TRUE(g.host_allowed(ok)) << ok;
  }
  for (const char* bad : {"evil.com", "evil.com:11434", "localhost.evil.com", "8.8.8.8"}) {
    EXPECT_FALSE(g.host_allowed(bad)) << bad;
  }
}

TEST(Guard, OtherLoopbackListenersAreGuardedToo) {
  EXPECT_FALSE(Guard("localhost", {}).host_allowed("evil.com"));
  EXPECT_FALSE(Guard("::1", {}).host_allowed("evil.com"));
}

TEST(Guard, PublicListenerAllowsEveryHost) {
  EXPECT_TRUE(Guard("0.0.0.0", {}).host_allowed("evil.com"));
  EXPECT_TRUE(Guard("", {}).host_allowed("evil.com:11434"));
}

TEST(Guard, BuiltInOrigins) {
  Guard g("127.0.0.1", {});
  for (const char* ok : {"http://localhost", "http://localhost:3000", "https://127.0.0.1:8443",
                         "http://0.0.0.0:80", "app://x", "file://", "tauri://localhost",
                         "vscode-webview://abc", "HTTP://LOCALHOST:3000"}) {
    EXPECT_TRUE(g.origin_allowed(ok)) << ok;
  }
  for (const char* bad :
       {"https://evil.com", "http://localhost.evil.com", "http://evil.com:3000", "null"}) {
    EXPECT_FALSE(g.origin_allowed(bad)) << bad;
  }
}

TEST(Guard, ExtraOriginsMatchWithWildcards) {
  Guard g("127.0.0.1", {"https://*.example.com", "chrome-extension://*", "http://Exact.org"});
  EXPECT_TRUE(g.origin_allowed("https://app.example.com"));
  EXPECT_TRUE(g.origin_allowed("chrome-extension://abcdef"));
  EXPECT_TRUE(g.origin_allowed("http://exact.org"));
  EXPECT_FALSE(g.origin_allowed("https://example.org"));
  EXPECT_FALSE(g.origin_allowed("http://exact.org.evil.com"));
  EXPECT_FALSE(g.origin_allowed("https://evil.com"));
  EXPECT_TRUE(Guard("127.0.0.1", {"*"}).origin_allowed("https://evil.com"));
}

}  // namespace
}  // namespace cria::server
