// The registry client's pieces without a network: URLs, the Bearer challenge,
// the signed token request, the OpenSSH key format, part planning and the
// resume state Ollama leaves on disk.
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "base/base64.h"
#include "registry/challenge.h"
#include "registry/client.h"
#include "registry/key.h"
#include "registry/parts.h"
#include "registry/url.h"

namespace cria::registry {
namespace {

namespace fs = std::filesystem;

std::string unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  }
  return out;
}

std::string temp_dir() {
  char tmpl[] = "/tmp/cria-registry-XXXXXX";
  EXPECT_NE(mkdtemp(tmpl), nullptr);
  return tmpl;
}

TEST(RegistryUrl, ParsesAndResolvesLocations) {
  auto u = Url::parse("https://registry.ollama.ai/v2/library/llama3/blobs/sha256:ab?x=1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "registry.ollama.ai");
  EXPECT_EQ(u->path(), "/v2/library/llama3/blobs/sha256:ab");
  EXPECT_EQ(u->query(), "x=1");
  EXPECT_EQ(u->resolve("/v2/x/uploads/1?_state=a")->str(),
            "https://registry.ollama.ai/v2/x/uploads/1?_state=a");
  EXPECT_EQ(u->resolve("https://cdn.example.com/blob?sig=1")->host, "cdn.example.com");
  EXPECT_EQ(u->resolve("//cdn.example.com/b")->str(), "https://cdn.example.com/b");
  EXPECT_EQ(Url::parse("http://127.0.0.1:5000/v2/")->hostname(), "127.0.0.1");
  EXPECT_FALSE(Url::parse("ftp://x/y").ok());
  EXPECT_FALSE(Url::parse("/relative").ok());
}

TEST(RegistryUrl, EncodesQueriesAsGo) {
  EXPECT_EQ(query_escape("repository:library/m:pull push"), "repository%3Alibrary%2Fm%3Apull+push");
  EXPECT_EQ(query_unescape("a%3Ab+c"), "a:b c");
  EXPECT_EQ(encode_query({{"scope", "b"}, {"nonce", "n"}, {"scope", "a"}}),
            "nonce=n&scope=b&scope=a");
  Url u = *Url::parse("http://h/v2/uploads/1?_state=x");
  u.add_query("digest", "sha256:00");
  EXPECT_EQ(u.target, "/v2/uploads/1?_state=x&digest=sha256%3A00");
}

TEST(RegistryClientUrls, FollowTheModelName) {
  auto hf = store::Name::parse("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M");
  ASSERT_TRUE(hf.ok());
  RegistryClient c(*hf, ClientOptions{});
  EXPECT_EQ(c.url("manifests/" + hf->tag).str(),
            "https://hf.co/v2/bartowski/Llama-3.2-1B-Instruct-GGUF/manifests/Q4_K_M");
  RegistryClient ollama(*store::Name::parse("llama3.2"), ClientOptions{});
  EXPECT_EQ(ollama.url("blobs/sha256:00").str(),
            "https://registry.ollama.ai/v2/library/llama3.2/blobs/sha256:00");
  auto local = store::Name::parse("http://127.0.0.1:5000/me/m");
  ASSERT_TRUE(local.ok());
  EXPECT_FALSE(check_scheme(*local, false).ok());
  EXPECT_TRUE(check_scheme(*local, true).ok());
  ClientOptions insecure;
  insecure.insecure = true;
  EXPECT_EQ(RegistryClient(*store::Name::parse("127.0.0.1:5000/me/m"), insecure).base().str(),
            "http://127.0.0.1:5000/");
}

TEST(RegistryChallenge, ParsesBearerChallenge) {
  Challenge c = parse_challenge(
      "Bearer realm=\"https://registry.ollama.ai/v2/token\",service=\"registry.ollama.ai\","
      "scope=\"repository:library/llama3:pull\"");
  EXPECT_EQ(c.realm, "https://registry.ollama.ai/v2/token");
  EXPECT_EQ(c.service, "registry.ollama.ai");
  EXPECT_EQ(c.scope, "repository:library/llama3:pull");
  EXPECT_EQ(parse_challenge("Bearer realm=\"https://h/t\"").scope, "");
}

TEST(RegistryChallenge, TokenUrlStaysOnTheRegistryHost) {
  Challenge c{"https://h:5000/token?a=1", "svc", "repository:x/y:pull repository:z/w:pull"};
  auto u = token_url(c, "h:5000", 1700000000, "NONCE");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->str(),
            "https://h:5000/token?a=1&nonce=NONCE&scope=repository%3Ax%2Fy%3Apull&scope="
            "repository%3Az%2Fw%3Apull&service=svc&ts=1700000000");
  auto other = token_url(c, "registry.ollama.ai", 1, "n");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("does not match original host"), std::string::npos);
  EXPECT_FALSE(token_url(Challenge{}, "h", 1, "n").ok());
}

TEST(RegistryChallenge, SignedDataIsOllamas) {
  // base64 of the hex sha256 of an empty body.
  EXPECT_EQ(
      token_request_data("GET", "https://h/token?x=1"),
      "GET,https://h/token?x=1,"
      "ZTNiMGM0NDI5OGZjMWMxNDlhZmJmNGM4OTk2ZmI5MjQyN2FlNDFlNDY0OWI5MzRjYTQ5NTk5MWI3ODUyYjg1NQ==");
  std::string nonce = new_nonce();
  EXPECT_EQ(nonce.size(), 22u);
  EXPECT_NE(nonce, new_nonce());
}

TEST(RegistryBase64, RoundTrips) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_FALSE(base64_decode("a$b").has_value());
}

TEST(RegistryKey, SignsAsRfc8032) {
  // RFC 8032, section 7.1, test 1.
  auto key = SigningKey::from_seed(
      unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  ASSERT_TRUE(key.ok());
  auto wire = base64_decode(key->public_key_base64());
  ASSERT_TRUE(wire.has_value());
  EXPECT_EQ(wire->substr(wire->size() - 32),
            unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
  EXPECT_EQ(*key->sign(""),
            unhex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33"
                  "bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"));
  auto auth = key->authorization("GET,https://h/t,x");
  ASSERT_TRUE(auth.ok());
  EXPECT_EQ(auth->substr(0, auth->find(':')), key->public_key_base64());
  auto who = verify_authorization(*auth, "GET,https://h/t,x");
  ASSERT_TRUE(who.ok()) << who.error().message;
  EXPECT_EQ(*who, key->authorized_key());
  EXPECT_FALSE(verify_authorization(*auth, "GET,https://h/t,y").ok());
  EXPECT_FALSE(verify_authorization("nonsense", "x").ok());
}

// A key made by `ssh-keygen -t ed25519 -N ""`.
constexpr const char* kSshKeygenKey = R"(-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACDxIvzZTevDyQNr+ofEcZjVqhyhuj8kAVHqZIVWsoeX5AAAAIgvooJqL6KC
agAAAAtzc2gtZWQyNTUxOQAAACDxIvzZTevDyQNr+ofEcZjVqhyhuj8kAVHqZIVWsoeX5A
AAAEBqMUa9SbAbq1PtKgYlAeKsr+patrcZ3mYvmlX79i1TN/Ei/NlN68PJA2v6h8RxmNWq
HKG6PyQBUepkhVayh5fkAAAAAAECAwQF
-----END OPENSSH PRIVATE KEY-----
)";

TEST(RegistryKey, ReadsAndWritesOpenSshKeys) {
  auto key = SigningKey::parse_openssh(kSshKeygenKey);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->authorized_key(),
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPEi/NlN68PJA2v6h8RxmNWqHKG6PyQBUepkhVayh5fk");
  auto again = SigningKey::parse_openssh(key->openssh_pem());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->authorized_key(), key->authorized_key());
  EXPECT_FALSE(SigningKey::parse_openssh("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n"
                                         "-----END OPENSSH PRIVATE KEY-----\n")
                   .ok());
  EXPECT_FALSE(SigningKey::parse_openssh("not a key").ok());
}

TEST(RegistryKey, CreatesTheKeyPairOnce) {
  std::string dir = temp_dir();
  std::string path = dir + "/.ollama/id_ed25519";
  auto made = SigningKey::load_or_create(path);
  ASSERT_TRUE(made.ok()) << made.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream pub(path + ".pub");
  std::string line;
  std::getline(pub, line);
  EXPECT_EQ(line, made->authorized_key());
  auto loaded = SigningKey::load_or_create(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->authorized_key(), made->authorized_key());
  fs::remove_all(dir);
}

TEST(RegistryParts, PlansAsOllama) {
  constexpr int64_t kMB = 1000 * 1000;
  auto small = plan_parts(50 * kMB);
  ASSERT_EQ(small.size(), 1u);
  EXPECT_EQ(small[0].size, 50 * kMB);
  auto mid = plan_parts(4000 * kMB);  // 16 parts of 250 MB
  ASSERT_EQ(mid.size(), 16u);
  EXPECT_EQ(mid[15].offset, 3750 * kMB);
  auto floor = plan_parts(1000 * kMB + 1);  // at least 100 MB a part
  ASSERT_EQ(floor.size(), 11u);
  EXPECT_EQ(floor[10].size, 1);
  auto big = plan_parts(40'000 * kMB);  // at most 1 GB a part
  EXPECT_EQ(big.size(), 40u);
  auto forced = plan_parts(250, 100);
  ASSERT_EQ(forced.size(), 3u);
  EXPECT_EQ(forced[2].offset, 200);
  EXPECT_EQ(forced[2].size, 50);
  EXPECT_TRUE(plan_parts(0).empty());
}

TEST(RegistryParts, StateIsOllamasJson) {
  PartState p{3, 300, 100, 42};
  EXPECT_EQ(encode_part(p), "{\"N\":3,\"Offset\":300,\"Size\":100,\"Completed\":42}\n");
  auto back = decode_part(encode_part(p), "x");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->starts_at(), 342);
  EXPECT_EQ(back->stops_at(), 400);
  EXPECT_FALSE(decode_part("{\"N\":0,\"Offset\":0,\"Size\":1,\"Completed\":2}", "x").ok());
  EXPECT_FALSE(decode_part("{}", "x").ok());
}

TEST(RegistryParts, ResumeStateRoundTrips) {
  std::string dir = temp_dir();
  std::string blob = dir + "/sha256-00";
  for (auto p : plan_parts(250, 100)) {
    p.completed = p.n == 1 ? 60 : 0;
    ASSERT_TRUE(write_part(blob, p).ok());
  }
  std::ofstream(partial_path(blob)) << "x";
  auto parts = read_parts(blob);
  ASSERT_TRUE(parts.ok()) << parts.error().message;
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[1].completed, 60);
  EXPECT_EQ((*parts)[1].starts_at(), 160);
  // A missing part means the state cannot be trusted.
  fs::remove(part_path(blob, 1));
  EXPECT_FALSE(read_parts(blob).ok());
  remove_partial(blob);
  EXPECT_TRUE(fs::is_empty(dir));
  EXPECT_TRUE(read_parts(blob)->empty());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cria::registry
