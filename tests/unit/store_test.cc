#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "store/create.h"
#include "store/digest.h"
#include "store/go_json.h"
#include "store/model.h"
#include "store/name.h"
#include "store/store.h"
#include "support/shared_data.h"

namespace cria::store {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::string stories_path() {
  return test::source_dir() + "/models/stories260K.gguf";
}

// A fresh models directory, removed at the end of the test.
class TempStore : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cria-store-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  void write(const std::string& rel, const std::string& bytes) {
    fs::create_directories(fs::path(root_ + "/" + rel).parent_path());
    std::ofstream(root_ + "/" + rel, std::ios::binary) << bytes;
  }
  // Stores `bytes` as a blob the way Ollama names it; returns sha256:<hex>.
  std::string put_blob(const std::string& bytes) {
    Digest d = sha256_of(bytes);
    write("blobs/" + d.file_name(), bytes);
    return d.str();
  }
  std::vector<std::string> blob_files() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(root_ + "/blobs")) {
      out.push_back(e.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string root_;

 public:
  std::string put_blob_public(const std::string& bytes) { return put_blob(bytes); }
  void write_public(const std::string& rel, const std::string& bytes) { write(rel, bytes); }
};

// ---- names ----

TEST(StoreName, DefaultsAndDisplay) {
  auto n = Name::parse("llama3");
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ(n->host, "registry.ollama.ai");
  EXPECT_EQ(n->ns, "library");
  EXPECT_EQ(n->model, "llama3");
  EXPECT_EQ(n->tag, "latest");
  EXPECT_EQ(n->display_shortest(), "llama3:latest");
  EXPECT_EQ(n->relative_path(), "registry.ollama.ai/library/llama3/latest");

  EXPECT_EQ(Name::parse("user/model:tag")->display_shortest(), "user/model:tag");
  EXPECT_EQ(Name::parse("host.com/ns/model:tag")->display_shortest(), "host.com/ns/model:tag");
  EXPECT_EQ(Name::parse("llama3.2:3b-instruct-q4_K_M")->tag, "3b-instruct-q4_K_M");
  auto port = Name::parse("localhost:5000/ns/m");
  ASSERT_TRUE(port.ok()) << port.error().message;
  EXPECT_EQ(port->host, "localhost:5000");
  EXPECT_EQ(port->tag, "latest");
  auto insecure = Name::parse("http://h.local/ns/m:1");
  ASSERT_TRUE(insecure.ok());
  EXPECT_EQ(insecure->scheme, "http");
  EXPECT_EQ(insecure->host, "h.local");
  EXPECT_EQ(Name::parse("REGISTRY.ollama.ai/Library/M:T")->display_shortest(), "M:T");
}

TEST(StoreName, RejectsInvalidAndTraversal) {
  for (const char* bad :
       {"", "../../etc/passwd", "/etc/passwd", "a//b", "model:", ":tag", "ns/", "a/b/c/d", "-model",
        "model:tag/x:y", "ns.dot/model", "mo del", "model:ta g", "..", "./x", "a/../b"}) {
    auto n = Name::parse(bad);
    EXPECT_FALSE(n.ok()) << bad;
    if (!n.ok()) {
      EXPECT_EQ(n.error().code, Errc::kInvalidArgument);
      EXPECT_TRUE(contains(n.error().message, "invalid model name")) << n.error().message;
    }
  }
  EXPECT_TRUE(contains(Name::parse("../../etc/passwd").error().message, "host"));
  EXPECT_TRUE(contains(Name::parse("a//b").error().message, "namespace is empty"));
  EXPECT_FALSE(Name::parse(std::string(81, 'a')).ok());
  EXPECT_TRUE(Name::parse(std::string(80, 'a')).ok());
  EXPECT_FALSE(Name::parse("m:" + std::string(81, 't')).ok());
  EXPECT_TRUE(Name::parse(std::string(350, 'h') + "/ns/m").ok());
  EXPECT_FALSE(Name::parse(std::string(351, 'h') + "/ns/m").ok());
}

TEST(StoreName, CaseInsensitiveEquality) {
  auto a = Name::parse("Llama3:Latest");
  auto b = Name::parse("registry.ollama.ai/library/llama3:latest");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->equal_fold(*b));
  EXPECT_FALSE(a->equal_fold(*Name::parse("llama3:8b")));
}

// ---- digests and blobs ----

TEST(StoreDigest, FormatAndHash) {
  EXPECT_EQ(sha256_of("").str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::string hex(64, 'A');
  auto d = Digest::parse("sha256-" + hex);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->str(), "sha256:" + std::string(64, 'a'));
  EXPECT_EQ(d->file_name(), "sha256-" + std::string(64, 'a'));
  for (const char* bad : {"sha256:abc", "md5:0123", "", "sha256:../../../../etc/passwd"}) {
    EXPECT_FALSE(Digest::parse(bad).ok()) << bad;
  }
  EXPECT_FALSE(Digest::parse("sha256:" + std::string(63, 'a') + "g").ok());
  auto file = sha256_file(stories_path());
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(sha256_file("/nonexistent/x").error().code, Errc::kNotFound);
}

TEST_F(TempStore, BlobWithWrongDigestLeavesNothing) {
  Store store(root_);
  Digest wrong = sha256_of("something else");
  Status st = store.write_blob(wrong, [](FileSink& sink) {
    const std::string bytes = "hello";
    return sink.write({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  });
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error().message, "digest mismatch")) << st.error().message;
  EXPECT_FALSE(store.has_blob(wrong));
  EXPECT_TRUE(blob_files().empty());

  // A failing stream leaves nothing either.
  st = store.write_blob(sha256_of("x"), [](FileSink&) -> Status {
    return make_error(Errc::kIo, "connection reset");
  });
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(blob_files().empty());

  Digest right = sha256_of("hello");
  ASSERT_TRUE(store
                  .write_blob(right,
                              [](FileSink& sink) {
                                return sink.write({reinterpret_cast<const uint8_t*>("hello"), 5});
                              })
                  .ok());
  EXPECT_TRUE(store.has_blob(right));
  EXPECT_EQ(blob_files(), std::vector<std::string>{right.file_name()});
  EXPECT_EQ(*store.read_blob(right), "hello");
}

TEST_F(TempStore, ImportFile) {
  Store store(root_);
  auto d = store.import_file(stories_path());
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(*d, *sha256_file(stories_path()));
  EXPECT_EQ(*store.blob_size(*d), static_cast<int64_t>(fs::file_size(stories_path())));
  auto again = store.import_file(stories_path());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(blob_files().size(), 1u);
  EXPECT_EQ(store.import_file(root_ + "/missing.gguf").error().code, Errc::kNotFound);
}

TEST(StoreGoJson, MatchesGoEncoder) {
  Json j = {{"stop", {"<|eot|>", "a&b"}},
            {"temperature", 0.7},
            {"num_ctx", 4096},
            {"x", 1e-7},
            {"big", 1e21},
            {"s", "tab\there\x01"}};
  EXPECT_EQ(go_json(j),
            "{\"big\":1e+21,\"num_ctx\":4096,\"s\":\"tab\\there\\u0001\",\"stop\":[\"\\u003c|eot|"
            "\\u003e\",\"a\\u0026b\"],\"temperature\":0.7,\"x\":1e-7}\n");
}

// ---- a store as Ollama writes it ----

// Lays out the store exactly as Ollama 0.x writes it after `ollama pull` of a
// model: blobs named sha256-<hex>, a config blob, and a compact manifest.
struct OllamaModel {
  std::string model, tmpl, params, system, license, config, manifest;
  int64_t size = 0;
};

OllamaModel write_ollama_model(TempStore& t, const std::string& rel_manifest) {
  OllamaModel m;
  std::ifstream in(stories_path(), std::ios::binary);
  std::string gguf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  m.model = t.put_blob_public(gguf);
  const std::string tmpl = "{{ .System }}\nUSER: {{ .Prompt }}\nASSISTANT: ";
  const std::string params = "{\"stop\":[\"\\u003c/s\\u003e\",\"USER:\"],\"temperature\":0.7}\n";
  const std::string system = "You are a storyteller.";
  m.tmpl = t.put_blob_public(tmpl);
  m.params = t.put_blob_public(params);
  m.system = t.put_blob_public(system);
  m.license = t.put_blob_public("MIT");
  std::string cfg =
      "{\"model_format\":\"gguf\",\"model_family\":\"llama\",\"model_families\":[\"llama\"],"
      "\"model_type\":\"293K\",\"file_type\":\"F32\",\"architecture\":\"amd64\",\"os\":\"linux\","
      "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" +
      m.model + "\"]}}";
  m.config = t.put_blob_public(cfg);
  auto layer = [&](const char* type, const std::string& d, size_t size) {
    return "{\"mediaType\":\"application/vnd.ollama.image." + std::string(type) +
           "\",\"digest\":\"" + d + "\",\"size\":" + std::to_string(size) + "}";
  };
  m.manifest =
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution."
      "manifest.v2+json\",\"config\":{\"mediaType\":\"application/vnd.docker.container."
      "image.v1+json\",\"digest\":\"" +
      m.config + "\",\"size\":" + std::to_string(cfg.size()) + "},\"layers\":[" +
      layer("model", m.model, gguf.size()) + "," + layer("template", m.tmpl, tmpl.size()) + "," +
      layer("params", m.params, params.size()) + "," + layer("system", m.system, system.size()) +
      "," + layer("license", m.license, 3) + "]}\n";
  m.size = static_cast<int64_t>(gguf.size() + tmpl.size() + params.size() + system.size() + 3 +
                                cfg.size());
  t.write_public("manifests/" + rel_manifest, m.manifest);
  return m;
}

TEST_F(TempStore, ReadsAStoreWrittenByOllama) {
  OllamaModel om = write_ollama_model(*this, "registry.ollama.ai/library/stories/latest");
  Store store(root_);
  auto list = store.list();
  ASSERT_TRUE(list.ok()) << list.error().message;
  ASSERT_EQ(list->size(), 1u);
  const ListEntry& e = (*list)[0];
  EXPECT_EQ(e.name.display_shortest(), "stories:latest");
  EXPECT_EQ(e.digest, sha256_of(om.manifest).hex());
  EXPECT_EQ(e.size, om.size);
  EXPECT_EQ(e.config.model_family, "llama");
  EXPECT_EQ(e.config.file_type, "F32");

  auto m = resolve(store, *Name::parse("Stories"));  // case-insensitive
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->name.model, "stories");
  EXPECT_EQ(m->model_path, root_ + "/blobs/" + Digest::parse(om.model)->file_name());
  EXPECT_EQ(m->template_text.value_or(""), "{{ .System }}\nUSER: {{ .Prompt }}\nASSISTANT: ");
  EXPECT_EQ(m->system, "You are a storyteller.");
  EXPECT_EQ(m->params["stop"], Json({"</s>", "USER:"}));
  EXPECT_DOUBLE_EQ(m->params["temperature"].get<double>(), 0.7);
  EXPECT_EQ(m->licenses, std::vector<std::string>{"MIT"});
  EXPECT_EQ(m->config.model_type, "293K");
  EXPECT_EQ(m->digest, e.digest);

  auto missing = resolve(store, *Name::parse("nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
  EXPECT_TRUE(contains(missing.error().message, "nope:latest")) << missing.error().message;
}

TEST_F(TempStore, MissingBlobIsReported) {
  OllamaModel om = write_ollama_model(*this, "registry.ollama.ai/library/stories/latest");
  fs::remove(root_ + "/blobs/" + Digest::parse(om.system)->file_name());
  auto m = resolve(Store(root_), *Name::parse("stories"));
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(contains(m.error().message, om.system)) << m.error().message;
}

TEST_F(TempStore, CopyDeletePruneKeepTheStoreConsistent) {
  OllamaModel om = write_ollama_model(*this, "registry.ollama.ai/library/stories/latest");
  put_blob("orphan");  // unreferenced
  write("blobs/sha256-partial-123", "leftover");
  const std::string resume = "blobs/sha256-" + std::string(64, 'a') + "-partial";
  write(resume, "an interrupted pull");
  write(resume + "-0", "{}");
  Store store(root_);
  ASSERT_TRUE(store.copy(*Name::parse("stories"), *Name::parse("me/copy:v1")).ok());
  auto copied = store.read_manifest(*Name::parse("me/copy:v1"));
  ASSERT_TRUE(copied.ok());
  EXPECT_EQ(copied->digest, sha256_of(om.manifest).hex());  // byte for byte
  EXPECT_EQ(store.copy(*Name::parse("absent"), *Name::parse("x")).error().code, Errc::kNotFound);

  auto report = store.prune(PruneOptions{std::chrono::seconds(0)});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->blobs_removed, 1);
  EXPECT_EQ(report->temp_files_removed, 1);
  EXPECT_TRUE(fs::exists(root_ + "/" + resume));  // kept for the pull to resume
  fs::remove(root_ + "/" + resume);
  fs::remove(root_ + "/" + resume + "-0");
  EXPECT_EQ(blob_files().size(), 6u);

  ASSERT_TRUE(store.remove(*Name::parse("stories")).ok());
  EXPECT_FALSE(fs::exists(root_ + "/manifests/registry.ollama.ai/library"));  // empty dirs gone
  EXPECT_EQ(blob_files().size(), 6u);  // still used by the copy
  EXPECT_EQ(store.list()->size(), 1u);
  ASSERT_TRUE(store.remove(*Name::parse("ME/Copy:V1")).ok());
  EXPECT_TRUE(blob_files().empty());
  EXPECT_TRUE(fs::is_empty(root_ + "/manifests"));
  EXPECT_EQ(store.remove(*Name::parse("stories")).error().code, Errc::kNotFound);
}

TEST_F(TempStore, PruneKeepsRecentBlobs) {
  put_blob("fresh orphan");
  Store store(root_);
  auto report = store.prune();  // default grace period: one hour
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->blobs_removed, 0);
  EXPECT_EQ(blob_files().size(), 1u);
}

// ---- create ----

std::vector<std::string> statuses;

CreateOptions recording() {
  statuses.clear();
  CreateOptions o;
  o.progress = [](const CreateProgress& p) { statuses.push_back(p.status); };
  return o;
}

TEST_F(TempStore, CreateFromGgufBlobAndFromModel) {
  Store store(root_);
  auto d = store.import_file(stories_path());
  ASSERT_TRUE(d.ok());
  auto req = CreateRequest::from_json(Json::parse(R"({
    "model": "stories", "files": {"stories260K.gguf": ")" +
                                                  d->str() + R"("},
    "template": "{{ .Prompt }}", "system": "Be brief.", "license": ["MIT", "Apache"],
    "parameters": {"temperature": 0.5, "stop": ["a", "b"], "num_ctx": "256"},
    "messages": [{"role": "User", "content": "hi"}]})"));
  ASSERT_TRUE(req.ok()) << req.error().message;
  Status st = create_model(store, *req, recording());
  ASSERT_TRUE(st.ok()) << st.error().message;
  ASSERT_GE(statuses.size(), 3u);
  EXPECT_EQ(statuses.front(), "parsing GGUF");
  EXPECT_EQ(statuses[1], "using existing layer " + d->str());
  EXPECT_EQ(statuses[statuses.size() - 2], "writing manifest");
  EXPECT_EQ(statuses.back(), "success");

  auto m = resolve(store, *Name::parse("stories"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->model_path, store.blob_path(*d));
  EXPECT_EQ(m->parent_model, "stories260K.gguf");
  EXPECT_EQ(m->config.model_format, "gguf");
  EXPECT_EQ(m->config.model_family, "llama");
  EXPECT_EQ(m->config.model_families, std::vector<std::string>{"llama"});
  EXPECT_EQ(m->config.model_type, "293K");
  EXPECT_EQ(m->config.file_type, "F32");
  EXPECT_EQ(m->config.diff_ids.size(), m->manifest.layers.size());
  EXPECT_EQ(m->system, "Be brief.");
  EXPECT_EQ(m->licenses, (std::vector<std::string>{"MIT", "Apache"}));
  EXPECT_EQ(m->params, Json::parse(R"({"temperature":0.5,"stop":["a","b"],"num_ctx":256})"));
  EXPECT_EQ(m->messages, Json::parse(R"([{"role":"user","content":"hi"}])"));

  // From the model: layers are reused, overrides replace, parameters merge.
  auto derived = CreateRequest::from_json(Json::parse(
      R"({"model":"me/derived:v2","from":"stories","system":"Be verbose.",
          "parameters":{"temperature":0.9}})"));
  ASSERT_TRUE(derived.ok());
  st = create_model(store, *derived, recording());
  ASSERT_TRUE(st.ok()) << st.error().message;
  auto m2 = resolve(store, *Name::parse("me/derived:v2"));
  ASSERT_TRUE(m2.ok()) << m2.error().message;
  EXPECT_EQ(m2->model_path, m->model_path);
  EXPECT_EQ(m2->parent_model, "stories:latest");
  EXPECT_EQ(m2->template_text, m->template_text);
  EXPECT_EQ(m2->system, "Be verbose.");
  EXPECT_EQ(m2->params["temperature"], 0.9);
  EXPECT_EQ(m2->params["num_ctx"], 256);
  EXPECT_EQ(m2->messages, m->messages);
  EXPECT_EQ(m2->licenses.size(), 2u);
  EXPECT_TRUE(std::count(statuses.begin(), statuses.end(), "using existing layer " + d->str()));
}

TEST_F(TempStore, CreateErrors) {
  Store store(root_);
  auto run = [&](const std::string& body) {
    auto req = CreateRequest::from_json(Json::parse(body));
    if (!req.ok()) return Status(req.error());
    return create_model(store, *req, {});
  };
  Status st = run(R"({"model":"x","from":"does-not-exist"})");
  EXPECT_EQ(st.error().code, Errc::kNotFound);
  EXPECT_TRUE(contains(st.error().message, "does-not-exist")) << st.error().message;
  st = run(R"({"model":"../etc","from":"a"})");
  EXPECT_EQ(st.error().code, Errc::kInvalidArgument);
  st = run(R"({"model":"x"})");
  EXPECT_TRUE(contains(st.error().message, "neither")) << st.error().message;
  std::string missing = sha256_of("never uploaded").str();
  st = run(R"({"model":"x","files":{"m.gguf":")" + missing + R"("}})");
  EXPECT_EQ(st.error().code, Errc::kNotFound);
  EXPECT_TRUE(contains(st.error().message, "/api/blobs/" + missing)) << st.error().message;
  st = run(R"({"model":"x","files":{"../m.gguf":")" + missing + R"("}})");
  EXPECT_EQ(st.error().code, Errc::kInvalidArgument);
  st = run(R"({"model":"x","files":{"m.gguf":"sha256:123"}})");
  EXPECT_TRUE(contains(st.error().message, "invalid digest")) << st.error().message;
  st = run(R"({"model":"x","from":"a","parameters":{"temprature":1}})");
  EXPECT_TRUE(contains(st.error().message, "unknown parameter \"temprature\""));
  st = run(R"({"model":"x","from":"a","parameters":{"num_ctx":"lots"}})");
  EXPECT_TRUE(contains(st.error().message, "num_ctx")) << st.error().message;

  // A blob that is not a GGUF, and one that is a broken GGUF.
  std::string text = put_blob("just some text, not a model");
  st = run(R"({"model":"x","files":{"m.gguf":")" + text + R"("}})");
  EXPECT_EQ(st.error().code, Errc::kUnsupported);
  EXPECT_TRUE(contains(st.error().message, "not a GGUF file")) << st.error().message;
  std::string broken = put_blob(std::string("GGUF\x03\0\0\0\xff\xff", 10));
  st = run(R"({"model":"x","files":{"m.gguf":")" + broken + R"("}})");
  EXPECT_EQ(st.error().code, Errc::kCorrupt);
  EXPECT_TRUE(contains(st.error().message, "not a valid GGUF")) << st.error().message;
  EXPECT_TRUE(Store(root_).list()->empty());
}

TEST_F(TempStore, CreateQuantizeUsesTheHook) {
  Store store(root_);
  auto d = store.import_file(stories_path());
  CreateRequest req;
  req.model = "q";
  req.files["stories260K.gguf"] = d->str();
  req.quantize = "q8_0";
  Status st = create_model(store, req, {});
  EXPECT_EQ(st.error().code, Errc::kUnsupported);  // no hook given
  std::string seen_type;
  CreateOptions o;
  o.quantize = [&](const std::string& path, const std::string& type,
                   const ProgressFn&) -> Result<Digest> {
    seen_type = type;
    return Store(root_).import_file(path);  // a stand-in: the same bytes
  };
  st = create_model(store, req, o);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(seen_type, "Q8_0");
}

}  // namespace
}  // namespace cria::store
