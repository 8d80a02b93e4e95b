// The fixed-key test vector shared with the JavaScript tests (tests/vectors/ecdh_gcm.json, made
// by make_ecdh_gcm_vector.mjs with node:crypto and checked against IGNIS's own ECDH helper):
// every step of PROTOCOLS.md §1, with each crypto provider, reproduces it.
#include <sealed/crypto/aead.hpp>
#include <sealed/crypto/ecdh.hpp>
#include <sealed/crypto/encoding.hpp>
#include <sealed/crypto/kdf.hpp>
#include <sealed/ecdh_gcm/scheme.hpp>

#include <sealed_test/paths.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

using namespace sealed;

boost::json::object load_vector() {
    const std::filesystem::path path = std::filesystem::path(sealed_test::source_dir()) / "tests/vectors/ecdh_gcm.json";
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return boost::json::parse(text.str()).as_object();
}

struct vector_fields {
    boost::json::object v = load_vector();
    std::string text(const char* name) const { return std::string(v.at(name).as_string()); }
    bytes hex(const char* name) const { return crypto::hex_decode(text(name)).value(); }
    bytes b64(const char* name) const { return crypto::base64_decode(text(name)).value(); }
};

bytes to_bytes(const_bytes b) { return bytes(b.begin(), b.end()); }

class ecdh_gcm_vector : public ::testing::TestWithParam<crypto::provider> {};

TEST_P(ecdh_gcm_vector, every_step_reproduces_the_shared_vector) {
    const vector_fields f;
    const auto p = GetParam();
    auto client = crypto::p256_private_key::from_scalar(f.hex("client_private_hex"), p);
    auto server = crypto::p256_private_key::from_scalar(f.hex("server_private_hex"), p);
    ASSERT_TRUE(client && server);
    EXPECT_EQ(to_bytes(client->public_key().bytes()), f.b64("client_public_b64"));
    EXPECT_EQ(to_bytes(server->public_key().bytes()), f.b64("server_public_b64"));

    // Both directions agree on the x-coordinate, parsing the peer's key as the scheme does.
    auto client_public = crypto::p256_public_key::from_sec1(f.b64("client_public_b64"));
    auto server_public = crypto::p256_public_key::from_sec1(f.b64("server_public_b64"));
    ASSERT_TRUE(client_public && server_public);
    auto shared = server->agree(*client_public);
    auto shared_back = client->agree(*server_public);
    ASSERT_TRUE(shared && shared_back);
    EXPECT_EQ(to_bytes(*shared), f.hex("shared_x_hex"));
    EXPECT_EQ(to_bytes(*shared_back), f.hex("shared_x_hex"));

    secure_bytes key(32);
    ASSERT_FALSE(crypto::hkdf_sha256(*shared, f.hex("salt_hex"), as_bytes(f.text("info")), key));
    EXPECT_EQ(to_bytes(key), f.hex("key_hex"));
    EXPECT_EQ(f.text("info"), ecdh_gcm::default_hkdf_info);

    auto aead = crypto::aead::create(crypto::aead_algorithm::aes256_gcm, key, p);
    ASSERT_TRUE(aead);
    const auto plaintext = f.text("plaintext");
    bytes sealed_out(plaintext.size() + crypto::aead::tag_size);
    ASSERT_FALSE(aead->seal(f.hex("iv_hex"), {}, as_bytes(plaintext), sealed_out));
    EXPECT_EQ(crypto::base64_encode(sealed_out), f.text("ct_b64"));
}

INSTANTIATE_TEST_SUITE_P(providers, ecdh_gcm_vector,
                         ::testing::Values(crypto::provider::botan, crypto::provider::openssl),
                         [](const auto& param_info) { return std::string(crypto::to_string(param_info.param)); });

TEST(ecdh_gcm_vector_frame, the_schemes_cipher_opens_the_vectors_encrypted_event) {
    const vector_fields f;
    auto keys = std::make_shared<ecdh_gcm::key_map>();
    auto key_bytes = f.hex("key_hex");
    auto session = keys->add("vector-client", secure_bytes(key_bytes.begin(), key_bytes.end()));
    ASSERT_TRUE(session);
    ecdh_gcm::cipher server(role::server, *session);
    message_buffer plain;
    ASSERT_FALSE(server.open(as_bytes(f.text("frame")), plain));
    EXPECT_EQ(plain.text(), f.text("plaintext"));
}

// The real handshake, both roles, with the vector's keys and salt put in through the randomness
// seam: what each side writes carries the vector's public keys and salt, and the session each
// ends with opens the vector's encrypted event.
boost::json::object data_of(const sealed::bytes& frame) {
    return boost::json::parse(std::string(frame.begin(), frame.end())).as_object().at("data").as_object();
}

TEST(ecdh_gcm_vector_handshake, both_roles_reproduce_the_vector_through_the_randomness_seam) {
    const vector_fields f;
    ecdh_gcm::handshake_randomness client_random;
    client_random.ephemeral.emplace(crypto::p256_private_key::from_scalar(f.hex("client_private_hex")).value());
    ecdh_gcm::handshake client(role::client, ecdh_gcm::options{}, std::move(client_random));

    ecdh_gcm::handshake_randomness server_random;
    server_random.ephemeral.emplace(crypto::p256_private_key::from_scalar(f.hex("server_private_hex")).value());
    const auto salt = f.hex("salt_hex");
    server_random.salt.emplace();
    std::copy(salt.begin(), salt.end(), server_random.salt->begin());
    server_random.client_id = "vector-client";
    ecdh_gcm::options server_options;
    server_options.keys = nullptr;  // a key of its own rather than one in a server's map
    ecdh_gcm::handshake server(role::server, server_options, std::move(server_random));

    auto hello = client.start();
    ASSERT_EQ(hello.out.size(), 1u);
    EXPECT_EQ(data_of(hello.out[0].data).at("clientPublicKey").as_string(), f.text("client_public_b64"));
    ASSERT_EQ(server.start().then, next_action<ecdh_gcm::cipher>::state::read);
    auto served = server.resume(hello.out[0].data);
    ASSERT_EQ(served.then, next_action<ecdh_gcm::cipher>::state::done);
    ASSERT_EQ(served.out.size(), 1u);
    const auto connected = data_of(served.out[0].data);
    EXPECT_EQ(connected.at("serverPublicKey").as_string(), f.text("server_public_b64"));
    EXPECT_EQ(connected.at("salt").as_string(), f.text("salt_b64"));
    EXPECT_EQ(connected.at("id").as_string(), "vector-client");

    auto joined = client.resume(served.out[0].data);
    ASSERT_EQ(joined.then, next_action<ecdh_gcm::cipher>::state::done);
    for (auto* session : {&*served.session, &*joined.session}) {
        message_buffer plain;
        ASSERT_FALSE(session->cipher.open(as_bytes(f.text("frame")), plain));
        EXPECT_EQ(plain.text(), f.text("plaintext"));
    }
}

}  // namespace
