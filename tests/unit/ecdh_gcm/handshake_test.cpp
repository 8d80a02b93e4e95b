// The ECDH-GCM handshake and cipher as pure state machines (no sockets): every bad input named in
// the scheme's issue gets its documented error event and close code.
#include <sealed/crypto/encoding.hpp>
#include <sealed/crypto/ecdh.hpp>
#include <sealed/ecdh_gcm/scheme.hpp>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace {

using namespace sealed;
using namespace sealed::ecdh_gcm;
using action = next_action<cipher>;

std::string text_of(const outgoing_message& m) { return std::string(m.data.begin(), m.data.end()); }

// The single error event an action writes: its code.
std::string error_code_in(const action& a) {
    if (a.out.size() != 1) return "<" + std::to_string(a.out.size()) + " messages>";
    auto v = boost::json::parse(text_of(a.out[0]));
    if (v.at("event").as_string() != "error") return "<not an error event>";
    return std::string(v.at("data").at("code").as_string());
}

action authenticate(handshake& server, const std::string& data_json) {
    auto frame = R"({"event":"authenticate","data":)" + data_json + "}";
    return server.resume(as_bytes(frame));
}

std::string b64(const_bytes b) { return crypto::base64_encode(b); }

TEST(ecdh_gcm_handshake, bad_frames_before_authenticate_get_error_events_and_keep_waiting) {
    handshake server(role::server, {});
    EXPECT_EQ(server.start().then, action::state::read);
    for (std::string bad : {"not json", "[1,2]", R"({"data":{}})", R"({"event":""})"}) {
        auto a = server.resume(as_bytes(bad));
        EXPECT_EQ(a.then, action::state::read) << bad;
        EXPECT_EQ(error_code_in(a), "invalid_message_format") << bad;
    }
    auto early = server.resume(as_bytes(R"({"event":"join","data":{"rooms":["a"]}})"));
    EXPECT_EQ(early.then, action::state::read);
    EXPECT_EQ(error_code_in(early), "not_authenticated");
    auto beat = server.resume(as_bytes(R"({"event":"heartbeat"})"));
    EXPECT_EQ(beat.then, action::state::read);
    EXPECT_TRUE(beat.out.empty());
}

TEST(ecdh_gcm_handshake, refusals_close_with_the_ignis_codes) {
    auto key = crypto::p256_private_key::generate();
    const auto good_key = b64(key.public_key().bytes());
    bytes off_curve(key.public_key().bytes().begin(), key.public_key().bytes().end());
    off_curve[64] ^= 1;
    bytes infinity(65, 0);
    bytes short_key(key.public_key().bytes().begin(), key.public_key().bytes().begin() + 33);
    struct refusal {
        std::string data;
        std::string code;
        std::uint16_t close;
    } cases[] = {
        {R"({"type":"Bearer","token":""})", "authentication_failed", 4003},
        {R"({"type":"Bearer","token":"u"})", "encryption_required", 4004},
        {R"({"type":"Bearer","token":"u","clientPublicKey":"not base64!"})", "invalid_public_key", 4003},
        {R"({"type":"Bearer","token":"u","clientPublicKey":")" + b64(short_key) + "\"}", "invalid_public_key", 4003},
        {R"({"type":"Bearer","token":"u","clientPublicKey":")" + b64(off_curve) + "\"}", "invalid_public_key", 4003},
        {R"({"type":"Bearer","token":"u","clientPublicKey":")" + b64(infinity) + "\"}", "invalid_public_key", 4003},
        {R"({"type":"Bearer","token":"u","clientPublicKey":42})", "invalid_public_key", 4003},
    };
    for (const auto& c : cases) {
        handshake server(role::server, {});
        auto a = authenticate(server, c.data);
        EXPECT_EQ(a.then, action::state::fail) << c.data;
        EXPECT_EQ(error_code_in(a), c.code) << c.data;
        ASSERT_TRUE(a.close) << c.data;
        EXPECT_EQ(a.close->code, c.close) << c.data;
    }
    // And a good one.
    handshake server(role::server, {});
    auto ok = authenticate(server, R"({"type":"Bearer","token":"alice","clientPublicKey":")" + good_key + "\"}");
    ASSERT_EQ(ok.then, action::state::done);
    EXPECT_EQ(ok.session->peer_id, "alice");
    auto connected = boost::json::parse(text_of(ok.out.at(0)));
    EXPECT_EQ(connected.at("event").as_string(), "connected");
    EXPECT_EQ(connected.at("data").at("userId").as_string(), "alice");
    auto server_key = crypto::base64_decode(std::string_view(connected.at("data").at("serverPublicKey").as_string()));
    auto salt = crypto::base64_decode(std::string_view(connected.at("data").at("salt").as_string()));
    ASSERT_TRUE(server_key && salt);
    EXPECT_EQ(server_key->size(), 65u);
    EXPECT_EQ(salt->size(), 32u);
}

// Issue 29, items 1–3: what a client written against IGNIS sends and expects. The key may come
// as `publicKey` (IGNIS's docs) and in the 33-byte compressed form (WebCrypto accepts it); the
// client id is a version-4 UUID, as IGNIS's crypto.randomUUID().
TEST(ecdh_gcm_handshake, ignis_clients_public_key_field_compressed_keys_and_uuid_ids) {
    for (int i = 0; i < 32; ++i) {
        auto key = crypto::p256_private_key::generate();
        const auto full = key.public_key().bytes();
        bytes compressed{static_cast<byte>(0x02 | (full[64] & 1))};
        compressed.insert(compressed.end(), full.begin() + 1, full.begin() + 33);
        auto decoded = crypto::p256_public_key::from_sec1_any_form(compressed);
        ASSERT_TRUE(decoded);
        EXPECT_EQ(*decoded, key.public_key());
        auto flipped = compressed;
        flipped[0] ^= 1;  // the other y: a valid point, another key
        auto other = crypto::p256_public_key::from_sec1_any_form(flipped);
        ASSERT_TRUE(other);
        EXPECT_NE(*other, key.public_key());
        EXPECT_FALSE(crypto::p256_public_key::from_sec1(compressed)) << "the strict form stays strict";

        for (const char* field : {"clientPublicKey", "publicKey"}) {
            handshake server(role::server, {});
            auto ok = authenticate(server, std::string(R"({"type":"Bearer","token":"u",")") + field + "\":\"" +
                                               b64(i % 2 ? compressed : bytes(full.begin(), full.end())) + "\"}");
            ASSERT_EQ(ok.then, action::state::done) << field;
            const auto id = std::string(boost::json::parse(text_of(ok.out.at(0))).at("data").at("id").as_string());
            ASSERT_EQ(id.size(), 36u) << id;
            for (std::size_t at : {8u, 13u, 18u, 23u}) EXPECT_EQ(id[at], '-') << id;
            EXPECT_EQ(id[14], '4') << id;
            EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
        }
    }
    // 33 bytes that are not a compressed point: a wrong prefix, x >= p.
    bytes wrong_prefix(33, 0x11);
    wrong_prefix[0] = 0x04;
    bytes too_big(33, 0xFF);
    too_big[0] = 0x02;
    for (const auto& bad : {wrong_prefix, too_big}) {
        handshake server(role::server, {});
        auto a = authenticate(server, R"({"type":"Bearer","token":"u","publicKey":")" + b64(bad) + "\"}");
        EXPECT_EQ(error_code_in(a), "invalid_public_key");
    }
}

TEST(ecdh_gcm_handshake, app_token_check_decides_the_user) {
    options o;
    o.authenticate = [](std::string_view token) -> std::optional<std::string> {
        if (token == "secret") return "user-7";
        return std::nullopt;
    };
    handshake refused(role::server, o);
    EXPECT_EQ(error_code_in(authenticate(refused, R"({"token":"guess"})")), "authentication_failed");
    o.require_encryption = false;
    handshake accepted(role::server, o);
    auto a = authenticate(accepted, R"({"token":"secret"})");
    ASSERT_EQ(a.then, action::state::done);
    EXPECT_EQ(a.session->peer_id, "user-7");
    EXPECT_FALSE(a.session->cipher.encrypted());  // requireEncryption off, no key: plaintext events
}

// Both sides through the state machines, then the cipher's refusals.
struct session_pair {
    cipher client, server;
};
session_pair establish(const options& both = {}) {
    handshake client(role::client, both), server(role::server, both);
    auto hello = client.start();
    auto reply = server.resume(hello.out.at(0).data);
    auto done = client.resume(reply.out.at(0).data);
    EXPECT_EQ(done.then, action::state::done);
    return {std::move(done.session->cipher), std::move(reply.session->cipher)};
}

// The per-key message limit (2^32 by default, for random 96-bit IVs) counts seals, not opens,
// and a spent key refuses to seal rather than reuse the budget.
TEST(ecdh_gcm_cipher, a_key_that_sealed_its_limit_refuses_with_nonce_exhausted) {
    options limited;
    limited.max_messages_per_key = 3;
    auto ends = establish(limited);
    const std::string inner = R"({"event":"chat","data":{}})";
    for (int i = 0; i < 3; ++i) {
        message_buffer wire, plain;
        ASSERT_FALSE(ends.client.seal(as_bytes(inner), wire)) << i;
        ASSERT_FALSE(ends.server.open(wire.bytes(), plain)) << i;  // opening spends nothing
    }
    message_buffer wire;
    EXPECT_EQ(ends.client.seal(as_bytes(inner), wire), errc::nonce_exhausted);
    EXPECT_TRUE(wire.empty()) << "a spent key wrote a frame";
    EXPECT_EQ(make_error_code(errc::nonce_exhausted), condition::resource_exhausted);
    EXPECT_FALSE(ends.server.seal(as_bytes(inner), wire)) << "each side counts its own seals";
}

TEST(ecdh_gcm_cipher, seals_as_encrypted_events_and_refuses_bad_ones) {
    auto ends = establish();  // not a structured binding: clang 14 cannot capture one in a lambda
    auto& client = ends.client;
    auto& server = ends.server;
    message_buffer wire, plain;
    const std::string inner = R"({"event":"chat","data":{"text":"hi"}})";
    ASSERT_FALSE(client.seal(as_bytes(inner), wire));
    EXPECT_EQ(wire.kind(), message_kind::text);
    EXPECT_EQ(wire.text().find(R"({"event":"encrypted","data":{"iv":")"), 0u);
    EXPECT_EQ(wire.text().find("chat"), std::string::npos) << "plaintext on the wire";
    ASSERT_FALSE(server.open(wire.bytes(), plain));
    EXPECT_EQ(plain.text(), inner);

    auto refused = [&](const std::string& frame) {
        message_buffer out;
        auto ec = server.open(as_bytes(frame), out);
        EXPECT_TRUE(out.empty()) << "plaintext from a refused frame";
        return ec;
    };
    auto v = boost::json::parse(wire.text()).as_object();
    const std::string iv(v["data"].at("iv").as_string()), ct(v["data"].at("ct").as_string());
    auto frame = [](const std::string& i, const std::string& c) {
        return R"({"event":"encrypted","data":{"iv":")" + i + R"(","ct":")" + c + R"("}})";
    };
    EXPECT_EQ(refused(frame("AAAA", ct)), error::decrypt_failed);                      // iv of 3 bytes
    auto ct_bytes = *crypto::base64_decode(ct);
    auto truncated = bytes(ct_bytes.begin(), ct_bytes.end() - 1);
    EXPECT_EQ(refused(frame(iv, crypto::base64_encode(truncated))), error::decrypt_failed);
    auto flipped = ct_bytes;
    flipped[0] ^= 0x01;
    EXPECT_EQ(refused(frame(iv, crypto::base64_encode(flipped))), error::decrypt_failed);
    EXPECT_EQ(refused(frame("not base64!", ct)), error::decrypt_failed);
    EXPECT_EQ(refused(frame(iv, "not base64!")), error::decrypt_failed);
    for (const char* bad_data : {R"({"ct":"AAAA"})", R"({"iv":"AAAA"})", R"({"iv":7,"ct":"AAAA"})",
                                 R"({"iv":"AAAA","ct":[]})", R"("iv")", "null"}) {
        const std::string f = std::string(R"({"event":"encrypted","data":)") + bad_data + "}";
        EXPECT_EQ(refused(f), error::decrypt_failed) << f;
    }
    EXPECT_EQ(refused(R"({"event":"chat","data":{"text":"plaintext"}})"), error::encryption_required);
    EXPECT_EQ(refused("garbage"), error::invalid_message_format);
    EXPECT_EQ(refused(R"({"data":{"text":"no event"}})"), error::invalid_message_format);  // JSON, no event
    message_buffer beat;
    EXPECT_FALSE(server.open(as_bytes(R"({"event":"heartbeat"})"), beat));  // heartbeats may be clear
}

}  // namespace
