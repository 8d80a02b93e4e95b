// The key directory (keygen / add-next / rotate / retire on disk) and the keyring the server
// builds from it: file modes, which keys are published and which accepted, reloads.
#include <sealed/envelope/keyring.hpp>
#include <sealed/envelope/seal.hpp>

#include <sealed_test/temp_dir.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <sys/stat.h>

namespace {

using namespace sealed;
using namespace sealed::envelope;
namespace fs = std::filesystem;

using sealed_test::temp_dir;

mode_t mode_of(const fs::path& p) {
    struct stat st{};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 0777;
}

std::vector<std::string> published_kids(const keyring& ring) {
    std::vector<std::string> kids;
    for (const auto& k : parse_jwks(ring.jwks()).value()) kids.push_back(k.kid);
    return kids;
}

TEST(key_directory, ensure_creates_a_private_directory_once) {
    temp_dir dir;
    auto kid = key_directory::ensure(dir.path);
    ASSERT_TRUE(kid) << kid.error().message();
    EXPECT_EQ(mode_of(dir.path), 0700u);
    EXPECT_EQ(mode_of(dir.path / (*kid + ".pem")), 0600u);
    EXPECT_TRUE(fs::exists(dir.path / "keyring.json"));
    // A second ensure keeps the key.
    EXPECT_EQ(key_directory::ensure(dir.path).value(), *kid);
    auto ring = key_directory::load(dir.path);
    ASSERT_TRUE(ring);
    EXPECT_EQ(ring->current().kid, *kid);
    EXPECT_EQ(jwk_thumbprint(ring->current().key.public_key()), *kid);
    EXPECT_EQ(published_kids(*ring), std::vector<std::string>{*kid});
}

TEST(key_directory, rotation_publishes_next_then_keeps_previous_for_the_grace_period) {
    temp_dir dir;
    const auto first = key_directory::ensure(dir.path).value();
    const auto second = key_directory::add_next(dir.path).value();
    EXPECT_NE(first, second);
    auto ring = key_directory::load(dir.path).value();
    // current first: clients that take keys[0] keep sealing to it; next is already accepted.
    EXPECT_EQ(published_kids(ring), (std::vector<std::string>{first, second}));
    const auto now = wall_clock::now();
    EXPECT_NE(ring.find(second, now), nullptr);

    EXPECT_EQ(key_directory::promote(dir.path, std::chrono::seconds(300)).value(), second);
    ring = key_directory::load(dir.path).value();
    EXPECT_EQ(ring.current().kid, second);
    EXPECT_EQ(published_kids(ring), std::vector<std::string>{second});  // previous is not published
    ASSERT_EQ(ring.previous().size(), 1u);
    EXPECT_NE(ring.find(first, now), nullptr);                               // in grace
    EXPECT_EQ(ring.find(first, now + std::chrono::seconds(301)), nullptr);   // after it
    EXPECT_EQ(ring.find("nobody", now), nullptr);

    // Retiring removes the file and the entry; a kid that is not previous is refused.
    EXPECT_TRUE(key_directory::retire(dir.path, second));  // current: an error, nothing removed
    EXPECT_FALSE(key_directory::retire(dir.path, first));
    EXPECT_FALSE(fs::exists(dir.path / (first + ".pem")));
    EXPECT_TRUE(fs::exists(dir.path / (second + ".pem")));
    ring = key_directory::load(dir.path).value();
    EXPECT_TRUE(ring.previous().empty());

    // Promote without a next makes a fresh current.
    const auto third = key_directory::promote(dir.path, std::chrono::seconds(0)).value();
    EXPECT_NE(third, second);
    EXPECT_EQ(key_directory::load(dir.path).value().current().kid, third);
}

TEST(key_directory, a_request_sealed_to_the_old_key_opens_after_rotation) {
    temp_dir dir;
    key_directory::ensure(dir.path).value();
    key_store store(key_directory::load(dir.path).value(), dir.path);
    const auto old_keys = parse_jwks(store.snapshot()->jwks()).value();
    auto in_flight = seal_request(old_keys[0], as_bytes(std::string_view("sealed before the rotation"))).value();

    key_directory::promote(dir.path, std::chrono::seconds(60)).value();
    auto reloaded = store.reload_if_changed();
    ASSERT_TRUE(reloaded);
    EXPECT_TRUE(*reloaded);
    EXPECT_FALSE(store.reload_if_changed().value());  // nothing changed since
    EXPECT_NE(store.snapshot()->current().kid, old_keys[0].kid);
    auto opened = open_request(in_flight.body(), *store.snapshot(), wall_clock::now());
    ASSERT_TRUE(opened) << opened.error().message();
    EXPECT_EQ(as_string_view(opened->plaintext()), "sealed before the rotation");
}

TEST(key_directory, broken_files_are_errors_and_a_store_keeps_its_keys) {
    temp_dir dir;
    const auto kid = key_directory::ensure(dir.path).value();
    key_store store(key_directory::load(dir.path).value(), dir.path);
    {
        std::ofstream(dir.path / (kid + ".pem")) << "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        std::ofstream(dir.path / "keyring.json") << "{\"current\":\"" << kid << "\"}";
    }
    EXPECT_FALSE(key_directory::load(dir.path));
    EXPECT_FALSE(store.reload_if_changed());
    EXPECT_EQ(store.snapshot()->current().kid, kid);  // still serving the last good keys
    { std::ofstream(dir.path / "keyring.json") << "not json"; }
    EXPECT_FALSE(key_directory::load(dir.path));
    { std::ofstream(dir.path / "keyring.json") << "{\"current\":\"../../etc/passwd\"}"; }
    EXPECT_FALSE(key_directory::load(dir.path));
    EXPECT_FALSE(key_directory::load(dir.path / "missing"));
    EXPECT_FALSE(from_pem("not a pem"));
    EXPECT_FALSE(from_pem(""));
}

TEST(key_directory, jwks_refuses_forged_kids_and_other_curves) {
    auto key = crypto::p256_private_key::generate();
    const auto kid = jwk_thumbprint(key.public_key());
    const auto jwk = public_jwk(key.public_key(), kid);
    EXPECT_TRUE(parse_jwks("{\"keys\":[" + jwk + "]}"));
    auto forged = public_jwk(key.public_key(), "forged");
    EXPECT_FALSE(parse_jwks("{\"keys\":[" + forged + "]}"));
    EXPECT_FALSE(parse_jwks("{\"keys\":[]}"));
    EXPECT_FALSE(parse_jwks("{}"));
    EXPECT_FALSE(parse_jwks("[]"));
    auto o = boost::json::parse(jwk).as_object();
    o["crv"] = "P-384";
    EXPECT_FALSE(parse_jwks("{\"keys\":[" + boost::json::serialize(o) + "]}"));
    o = boost::json::parse(jwk).as_object();
    o["y"] = o["x"];  // not on the curve
    EXPECT_FALSE(parse_jwks("{\"keys\":[" + boost::json::serialize(o) + "]}"));
}

}  // namespace
