// Every cacophony vector for Noise_*_25519_ChaChaPoly_SHA256 in ../shared/vectors/noise: the
// real handshake_state, both roles, with the vector's ephemeral keys injected through the
// ephemeral_source seam. Each handshake message must match byte for byte and open on the other
// side; then the transport messages through split()'s cipher states; then the handshake hash.
#include <sealed/crypto/encoding.hpp>
#include <sealed/noise/handshake_state.hpp>

#include <sealed_test/paths.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

using namespace sealed;
namespace json = boost::json;

bytes hex(const json::object& v, const char* name) {
    const auto* field = v.if_contains(name);
    if (!field) return {};
    return crypto::hex_decode(std::string(field->as_string())).value();
}

std::shared_ptr<const crypto::x25519_private_key> private_key(const json::object& v, const char* name) {
    if (!v.contains(name)) return nullptr;
    return std::make_shared<const crypto::x25519_private_key>(crypto::x25519_private_key::from_bytes(hex(v, name)).value());
}

std::optional<crypto::x25519_public_key> public_key(const json::object& v, const char* name) {
    if (!v.contains(name)) return std::nullopt;
    return crypto::x25519_public_key::from_bytes(hex(v, name)).value();
}

// One party as the vector sets it up: prefix "init" or "resp".
result<noise::handshake_state> party(const json::object& v, const noise::protocol& p, const std::string& prefix) {
    noise::handshake_keys keys;
    keys.local_static = private_key(v, (prefix + "_static").c_str());
    keys.remote_static = public_key(v, (prefix + "_remote_static").c_str());
    keys.prologue = hex(v, (prefix + "_prologue").c_str());
    if (const auto* psks = v.if_contains(prefix + "_psks"))
        for (const auto& psk : psks->as_array()) {
            const auto raw = crypto::hex_decode(std::string(psk.as_string())).value();
            keys.psks.emplace_back(raw.begin(), raw.end());
        }
    const auto ephemeral = hex(v, (prefix + "_ephemeral").c_str());
    noise::ephemeral_source fixed = [ephemeral] { return crypto::x25519_private_key::from_bytes(ephemeral).value(); };
    return noise::handshake_state::create(p, prefix == "init" ? role::client : role::server, std::move(keys), fixed);
}

std::vector<json::object> vectors() {
    std::ifstream file(std::filesystem::path(sealed_test::vectors_dir()) / "noise/cacophony-25519-chachapoly-sha256.json");
    std::stringstream text;
    text << file.rdbuf();
    const auto doc = json::parse(text.str());
    std::vector<json::object> out;
    for (const auto& v : doc.at("vectors").as_array()) out.push_back(v.as_object());
    return out;
}

// Runs one vector; an empty string when every byte matched, else what did not.
std::string run_vector(const json::object& v) {
    const std::string name(v.at("protocol_name").as_string());
    auto p = noise::parse_protocol_name(name);
    if (!p) return "protocol name refused: " + p.error().message();
    auto initiator = party(v, *p, "init");
    auto responder = party(v, *p, "resp");
    if (!initiator || !responder) return "create failed";
    std::optional<std::pair<noise::cipher_state, noise::cipher_state>> init_ciphers, resp_ciphers;
    const auto& messages = v.at("messages").as_array();
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const auto& m = messages[i].as_object();
        const auto payload = hex(m, "payload"), expected = hex(m, "ciphertext");
        // Handshake messages follow the pattern; transport messages alternate from where it
        // ended (one-way patterns: the initiator sends them all).
        const bool from_initiator = p->pattern.one_way() || i % 2 == 0;
        bytes wire, opened;
        if (i < p->pattern.messages.size()) {
            auto& sender = from_initiator ? *initiator : *responder;
            auto& receiver = from_initiator ? *responder : *initiator;
            if (auto ec = sender.write_message(payload, wire)) return "message " + std::to_string(i) + ": " + ec.message();
            if (auto ec = receiver.read_message(wire, opened)) return "message " + std::to_string(i) + " read: " + ec.message();
        } else {
            if (!init_ciphers) {
                init_ciphers.emplace(initiator->split().value());
                resp_ciphers.emplace(responder->split().value());
            }
            auto& send = from_initiator ? init_ciphers->first : resp_ciphers->second;
            auto& receive = from_initiator ? resp_ciphers->first : init_ciphers->second;
            if (auto ec = send.encrypt_with_ad({}, payload, wire)) return "transport " + std::to_string(i) + ": " + ec.message();
            if (auto ec = receive.decrypt_with_ad({}, wire, opened)) return "transport " + std::to_string(i) + " read: " + ec.message();
        }
        if (wire != expected) return "message " + std::to_string(i) + " differs from the vector";
        if (opened != payload) return "message " + std::to_string(i) + " opened to another payload";
    }
    const auto h = hex(v, "handshake_hash");
    if (!std::equal(h.begin(), h.end(), initiator->handshake_hash().begin(), initiator->handshake_hash().end()) ||
        initiator->handshake_hash() != responder->handshake_hash())
        return "handshake hash differs";
    return {};
}

TEST(noise_cacophony, every_vector_in_shared_passes_in_both_roles) {
    const auto all = vectors();
    ASSERT_EQ(all.size(), 59u) << "the shared file changed";
    int passed = 0;
    for (const auto& v : all) {
        const auto failure = run_vector(v);
        if (failure.empty()) ++passed;
        else ADD_FAILURE() << v.at("protocol_name").as_string() << ": " << failure;
    }
    EXPECT_EQ(passed, 59);
}

// A flipped bit anywhere in a handshake message is refused, and the state refuses to go on.
TEST(noise_cacophony, a_tampered_xx_message_is_refused) {
    for (const auto& v : vectors()) {
        if (v.at("protocol_name").as_string() != "Noise_XX_25519_ChaChaPoly_SHA256") continue;
        auto p = noise::parse_protocol_name("Noise_XX_25519_ChaChaPoly_SHA256").value();
        for (std::size_t flip = 0; flip < 96 + 16; flip += 7) {
            auto initiator = party(v, p, "init").value();
            auto responder = party(v, p, "resp").value();
            bytes one, two, opened;
            ASSERT_FALSE(initiator.write_message({}, one));
            ASSERT_FALSE(responder.read_message(one, opened));
            ASSERT_FALSE(responder.write_message({}, two));
            two[flip % two.size()] ^= 0x01;
            EXPECT_TRUE(initiator.read_message(two, opened)) << "flipped byte " << flip % two.size();
            EXPECT_FALSE(initiator.my_turn());
            EXPECT_TRUE(initiator.write_message({}, opened)) << "a failed state went on";
        }
        return;
    }
    FAIL() << "no XX vector";
}

TEST(noise_pattern, names_modifiers_and_refusals) {
    auto xx = noise::find_pattern("XX").value();
    ASSERT_EQ(xx.messages.size(), 3u);
    EXPECT_TRUE(xx.messages[0].from_initiator);
    EXPECT_EQ(xx.messages[1].tokens, (std::vector<noise::token>{noise::token::e, noise::token::ee, noise::token::s, noise::token::es}));
    auto psk = noise::find_pattern("NNpsk0+psk2").value();
    EXPECT_EQ(psk.psk_count, 2u);
    EXPECT_EQ(psk.messages[0].tokens.front(), noise::token::psk);
    EXPECT_EQ(psk.messages[1].tokens.back(), noise::token::psk);
    EXPECT_EQ(noise::find_pattern("XY").error(), errc::unsupported_algorithm);
    EXPECT_EQ(noise::find_pattern("NNpsk9").error(), errc::invalid_argument);
    EXPECT_EQ(noise::parse_protocol_name("Noise_XX_448_ChaChaPoly_SHA256").error(), errc::unsupported_algorithm);
    EXPECT_EQ(noise::parse_protocol_name("Noise_XX_25519_ChaChaPoly").error(), errc::invalid_argument);
    EXPECT_EQ(noise::parse_protocol_name("Noise_XX_25519_ChaChaPoly_SHA256_extra").error(), errc::invalid_argument);
    // A pattern that sends a static key needs one.
    auto xx_protocol = noise::parse_protocol_name("Noise_XX_25519_ChaChaPoly_SHA256").value();
    EXPECT_EQ(noise::handshake_state::create(xx_protocol, role::client, {}).error(), errc::invalid_key);
}

}  // namespace
