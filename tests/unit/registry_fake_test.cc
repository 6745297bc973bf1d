// pull_model against a registry of our own in this process (cpp-httplib on
// loopback): manifest and blobs, ranged parts, Bearer auth with a signed
// challenge, a corrupted blob, a resumed download, a CDN redirect, retries and
// a download shared by two pulls.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "registry/challenge.h"
#include "registry/key.h"
#include "registry/parts.h"
#include "registry/registry.h"
#include "store/digest.h"

namespace cria::registry {
namespace {

namespace fs = std::filesystem;

constexpr const char* kToken = "good-token";

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// A registry serving one repository, library/m, with whatever the test puts in.
class FakeRegistry {
 public:
  FakeRegistry() {
    srv_.Get("/token", [this](const auto& req, auto& res) { token(req, res); });
    srv_.Get(R"(/v2/library/m/manifests/([^/]+))", [this](const auto& req, auto& res) {
      if (!authorized(req, res)) return;
      auto it = manifests.find(req.matches[1].str());
      if (it == manifests.end()) return void(res.status = 404);
      res.set_content(it->second, "application/vnd.docker.distribution.manifest.v2+json");
    });
    srv_.Get(R"(/v2/library/m/blobs/(sha256:[0-9a-f]+))",
             [this](const auto& req, auto& res) { blob(req, res); });
    srv_.Get(R"(/cdn/(sha256:[0-9a-f]+))", [this](const auto& req, auto& res) {
      if (req.has_header("Authorization")) cdn_saw_auth = true;
      serve(req.matches[1].str(), req, res);
    });
    port = srv_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { srv_.listen_after_bind(); });
    while (!srv_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeRegistry() {
    srv_.stop();
    thread_.join();
  }

  std::string host() const { return "127.0.0.1:" + std::to_string(port); }

  std::map<std::string, std::string> blobs;      // digest -> bytes served
  std::map<std::string, std::string> manifests;  // tag -> bytes
  bool require_auth = false;
  std::string realm;                   // default: this server's /token
  std::string redirect_to;             // blob GETs redirect to <redirect_to>/cdn/<digest>
  std::atomic<int> fail_gets{0};       // the next N ranged GETs answer 500
  std::chrono::milliseconds delay{0};  // per 16 KB served
  std::atomic<int64_t> bytes_served{0};
  std::atomic<int> heads{0};
  std::atomic<int> tokens_issued{0};
  std::atomic<bool> cdn_saw_auth{false};
  std::string signer;
  int port = 0;

 private:
  bool authorized(const httplib::Request& req, httplib::Response& res) {
    if (!require_auth || req.get_header_value("Authorization") == std::string("Bearer ") + kToken) {
      return true;
    }
    std::string r = realm.empty() ? "http://" + host() + "/token" : realm;
    res.status = 401;
    res.set_header(
        "WWW-Authenticate",
        "Bearer realm=\"" + r + "\",service=\"fake\",scope=\"repository:library/m:pull\"");
    return false;
  }

  void token(const httplib::Request& req, httplib::Response& res) {
    std::string url = "http://" + req.get_header_value("Host") + req.target;
    auto who =
        verify_authorization(req.get_header_value("Authorization"), token_request_data("GET", url));
    if (!who.ok() || req.get_param_value("service") != "fake" ||
        req.get_param_value("scope") != "repository:library/m:pull" || !req.has_param("ts") ||
        !req.has_param("nonce")) {
      res.status = 401;
      return;
    }
    std::lock_guard lock(mu_);
    signer = *who;
    ++tokens_issued;
    res.set_content(std::string("{\"token\":\"") + kToken + "\"}", "application/json");
  }

  void blob(const httplib::Request& req, httplib::Response& res) {
    if (!authorized(req, res)) return;
    std::string digest = req.matches[1].str();
    if (!redirect_to.empty()) {
      res.status = 307;
      res.set_header("Location", redirect_to + "/cdn/" + digest);
      return;
    }
    serve(digest, req, res);
  }

  void serve(const std::string& digest, const httplib::Request& req, httplib::Response& res) {
    auto it = blobs.find(digest);
    if (it == blobs.end()) return void(res.status = 404);
    if (req.method == "HEAD") {
      ++heads;
      res.set_header("Content-Length", std::to_string(it->second.size()));
      return;
    }
    if (fail_gets > 0 && fail_gets-- > 0) return void(res.status = 500);
    const std::string* data = &it->second;
    res.set_content_provider(data->size(), "application/octet-stream",
                             [this, data](size_t offset, size_t length, httplib::DataSink& sink) {
                               size_t n = std::min<size_t>(length, 16 * 1024);
                               if (delay.count() > 0) std::this_thread::sleep_for(delay);
                               bytes_served += static_cast<int64_t>(n);
                               return sink.write(data->data() + offset, n);
                             });
  }

  httplib::Server srv_;
  std::thread thread_;
  std::mutex mu_;
};

// A store in a temp dir and a model "m" (one model blob, a config) on the registry.
class RegistryPull : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cria-pull-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store_ = store::Store(dir_ + "/models");
    model_ = random_bytes(300 * 1000, 7);
    config_ = "{\"model_format\":\"gguf\"}";
    model_digest_ = add_blob(model_);
    store::Manifest m;
    m.config = store::Layer{std::string(store::media::kConfig), add_blob(config_),
                            static_cast<int64_t>(config_.size()), "", ""};
    m.layers.push_back(store::Layer{std::string(store::media::kModel), model_digest_,
                                    static_cast<int64_t>(model_.size()), "", ""});
    manifest_ = m.encode();
    reg_.manifests["latest"] = manifest_;
    options_.insecure = true;
    options_.key_path = dir_ + "/home/.ollama/id_ed25519";
    options_.download.part_size = 64 * 1024;
    options_.download.backoff = std::chrono::milliseconds(10);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string add_blob(const std::string& bytes) {
    std::string d = store::sha256_of(bytes).str();
    reg_.blobs[d] = bytes;
    return d;
  }
  std::string name() const { return reg_.host() + "/library/m:latest"; }
  store::Name parsed() const { return *store::Name::parse(name()); }
  std::string blob_path(const std::string& digest) const {
    return store_.blob_path(*store::Digest::parse(digest));
  }
  Status pull(std::vector<Progress>* lines = nullptr) {
    return pull_model(store_, name(), options_, [&](const Progress& p) {
      if (lines) lines->push_back(p);
      return true;
    });
  }
  std::string read(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }
  bool leftovers() const {
    for (const auto& e : fs::directory_iterator(store_.blobs_dir())) {
      if (e.path().string().find("-partial") != std::string::npos) return true;
    }
    return false;
  }

  std::string dir_;
  FakeRegistry reg_;
  store::Store store_{"/nonexistent"};
  RegistryOptions options_;
  std::string model_, config_, manifest_, model_digest_;
};

TEST_F(RegistryPull, PullsEveryBlobThenTheManifest) {
  std::vector<Progress> lines;
  Status st = pull(&lines);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(read(store_.manifest_path(parsed())), manifest_);
  EXPECT_EQ(read(blob_path(model_digest_)), model_);
  EXPECT_FALSE(leftovers());
  ASSERT_GE(lines.size(), 5u);
  EXPECT_EQ(lines.front().status, "pulling manifest");
  std::string blob_status = "pulling " + model_digest_.substr(7, 12);
  bool saw_blob = false;
  for (const auto& p : lines) {
    if (p.status != blob_status) continue;
    saw_blob = true;
    EXPECT_EQ(p.digest, model_digest_);
    EXPECT_EQ(p.total, static_cast<int64_t>(model_.size()));
  }
  EXPECT_TRUE(saw_blob);
  EXPECT_EQ(lines[lines.size() - 3].status, "verifying sha256 digest");
  EXPECT_EQ(lines[lines.size() - 2].status, "writing manifest");
  EXPECT_EQ(lines.back().status, "success");
  // Pulled again: nothing to download.
  int64_t served = reg_.bytes_served;
  ASSERT_TRUE(pull().ok());
  EXPECT_EQ(reg_.bytes_served, served);
}

TEST_F(RegistryPull, RefusesPlainHttpWithoutInsecure) {
  options_.insecure = false;
  Status st =
      pull_model(store_, "http://" + name(), options_, [](const Progress&) { return true; });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "insecure protocol http");
}

TEST_F(RegistryPull, MissingModelIsNotFound) {
  Status st = pull_model(store_, reg_.host() + "/library/m:nope", options_,
                         [](const Progress&) { return true; });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::kNotFound);
  EXPECT_EQ(st.error().message, "pull model manifest: file does not exist");
}

TEST_F(RegistryPull, AnswersABearerChallengeWithASignedRequest) {
  reg_.require_auth = true;
  Status st = pull();
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(reg_.tokens_issued, 1);  // one token serves the whole pull
  std::ifstream pub(options_.key_path + ".pub");
  std::string line;
  std::getline(pub, line);
  EXPECT_EQ(reg_.signer, line);
  EXPECT_EQ(read(blob_path(model_digest_)), model_);
}

TEST_F(RegistryPull, RefusesARealmOnAnotherHost) {
  reg_.require_auth = true;
  reg_.realm = "http://localhost:" + std::to_string(reg_.port) + "/token";
  Status st = pull();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("does not match original host"), std::string::npos);
  EXPECT_EQ(reg_.tokens_issued, 0);
  EXPECT_FALSE(fs::exists(options_.key_path));
}

TEST_F(RegistryPull, CorruptedBlobFailsWithDigestMismatch) {
  reg_.blobs[model_digest_][1000] ^= 1;
  Status st = pull();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("digest mismatch"), std::string::npos) << st.error().message;
  EXPECT_FALSE(fs::exists(store_.manifest_path(parsed())));
  EXPECT_FALSE(fs::exists(blob_path(model_digest_)));
  EXPECT_FALSE(leftovers());
}

TEST_F(RegistryPull, ResumesFromSavedParts) {
  std::string blob = blob_path(model_digest_);
  fs::create_directories(store_.blobs_dir());
  // A pull stopped with the first 3 parts done and the 4th half done.
  auto parts = plan_parts(static_cast<int64_t>(model_.size()), options_.download.part_size);
  int64_t have = 0;
  for (auto& p : parts) {
    if (p.n < 3) p.completed = p.size;
    if (p.n == 3) p.completed = p.size / 2;
    have += p.completed;
    ASSERT_TRUE(write_part(blob, p).ok());
  }
  std::string partial = model_.substr(0, static_cast<size_t>(parts[3].starts_at()));
  partial.resize(model_.size(), '\0');
  std::ofstream(partial_path(blob), std::ios::binary) << partial;
  Status st = pull();
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(read(blob), model_);
  // Only what was missing (and a one-byte probe per blob for the direct URL).
  const int64_t missing = static_cast<int64_t>(model_.size() + config_.size()) - have;
  EXPECT_GE(reg_.bytes_served, missing);
  EXPECT_LE(reg_.bytes_served, missing + 2);
  EXPECT_FALSE(leftovers());
}

TEST_F(RegistryPull, RetriesFailedParts) {
  reg_.fail_gets = 3;
  Status st = pull();
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(read(blob_path(model_digest_)), model_);
}

TEST_F(RegistryPull, FetchesFromTheCdnWithoutCredentials) {
  FakeRegistry cdn;
  cdn.blobs = reg_.blobs;
  reg_.require_auth = true;
  reg_.redirect_to = "http://localhost:" + std::to_string(cdn.port);
  Status st = pull();
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(reg_.bytes_served, 0);
  EXPECT_GE(cdn.bytes_served, static_cast<int64_t>(model_.size()));
  EXPECT_FALSE(cdn.cdn_saw_auth);
  EXPECT_EQ(read(blob_path(model_digest_)), model_);
}

TEST_F(RegistryPull, ConcurrentPullsShareOneDownload) {
  reg_.delay = std::chrono::milliseconds(5);
  Status a, b;
  std::thread t1([&] { a = pull(); });
  std::thread t2([&] { b = pull(); });
  t1.join();
  t2.join();
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_LE(reg_.bytes_served, static_cast<int64_t>(model_.size() + 2 * config_.size()));
  EXPECT_EQ(read(blob_path(model_digest_)), model_);
}

}  // namespace
}  // namespace cria::registry
