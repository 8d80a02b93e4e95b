// HMAC-X25519 as pure state machines (no sockets): both roles agree; each refusal the issue
// names (version, allowlist, bad challenge response, bad identity keys) ends the handshake with
// its error, and the responder's refusals carry Go's reason text; SMSG frames that are not SMSG,
// are cut short or forged are refused; the envelope is written in Go's shape.
#include <sealed/crypto/encoding.hpp>
#include <sealed/hmac_x25519/scheme.hpp>

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace {

using namespace sealed;
using namespace sealed::hmac_x25519;
using action = next_action<cipher>;
namespace json = boost::json;

std::string text_of(const outgoing_message& m) { return std::string(m.data.begin(), m.data.end()); }

options node_options(std::string_view name) {
    options o;
    o.identity = std::make_shared<node_identity>(node_identity::generate(name));
    return o;
}

// The payload of the single envelope an action writes.
json::object payload_of(const action& a) {
    EXPECT_EQ(a.out.size(), 1u);
    if (a.out.empty()) return {};
    return json::parse(text_of(a.out.front())).at("payload").as_object();
}

// Runs the initiator's hello (edited by `edit`) into a responder.
action respond_to(const options& initiator, const options& responder,
                  const std::function<void(json::object&)>& edit = {}) {
    handshake client(role::client, initiator);
    auto hello = json::parse(text_of(client.start().out.front())).as_object();
    if (edit) edit(hello);
    handshake server(role::server, responder);
    EXPECT_EQ(server.start().then, action::state::read);
    return server.resume(as_bytes(json::serialize(hello)));
}

TEST(hmac_x25519_handshake, both_roles_agree_and_the_ciphers_interoperate) {
    auto a = node_options("alice"), b = node_options("bob");
    a.expected_peer_id = b.identity->id();
    handshake client(role::client, a), server(role::server, b);
    auto hello = client.start();
    ASSERT_EQ(hello.out.size(), 1u);
    EXPECT_EQ(hello.out[0].kind, message_kind::text);
    auto hello_json = json::parse(text_of(hello.out[0])).as_object();
    EXPECT_EQ(hello_json.at("type"), "handshake");
    EXPECT_EQ(hello_json.at("from").as_string(), a.identity->id());
    EXPECT_EQ(hello_json.at("to").as_string(), b.identity->id());
    EXPECT_EQ(hello_json.at("payload").at("version"), "1.0");
    EXPECT_EQ(crypto::base64_decode(hello_json.at("payload").at("challenge").as_string()).value().size(), 32u);

    ASSERT_EQ(server.start().then, action::state::read);
    auto ack = server.resume(hello.out[0].data);
    ASSERT_EQ(ack.then, action::state::done);
    EXPECT_EQ(ack.session->peer_id, a.identity->id());
    EXPECT_EQ(payload_of(ack).at("accepted"), true);
    auto done = client.resume(ack.out[0].data);
    ASSERT_EQ(done.then, action::state::done) << done.error.message();
    EXPECT_EQ(done.session->peer_id, b.identity->id());

    // Each side opens what the other sealed.
    auto& to_server = done.session->cipher;
    auto& to_client = ack.session->cipher;
    const std::string message = wire::serialize(wire::make_envelope("chat", a.identity->id(), b.identity->id(),
                                                                   json::object{{"text", "hi"}}));
    message_buffer frame, opened;
    ASSERT_FALSE(to_server.seal(as_bytes(message), frame));
    EXPECT_EQ(frame.kind(), message_kind::binary);
    EXPECT_EQ(as_string_view(frame.bytes().first(4)), "SMSG");
    ASSERT_FALSE(to_client.open(frame.bytes(), opened));
    EXPECT_EQ(opened.text(), message);
    frame.clear();
    opened.clear();
    ASSERT_FALSE(to_client.seal(as_bytes(message), frame));
    ASSERT_FALSE(to_server.open(frame.bytes(), opened));
    EXPECT_EQ(opened.text(), message);
}

TEST(hmac_x25519_handshake, wrong_version_is_refused_with_gos_reason) {
    auto refused = respond_to(node_options("a"), node_options("b"),
                              [](json::object& m) { m["payload"].as_object()["version"] = "2.0"; });
    ASSERT_EQ(refused.then, action::state::fail);
    EXPECT_EQ(refused.error, error::unsupported_version);
    EXPECT_EQ(refused.close->code, close_code::policy_violation);
    auto payload = payload_of(refused);
    EXPECT_EQ(payload.at("accepted"), false);
    EXPECT_EQ(payload.at("reason"), "incompatible protocol version 2.0, supported: [1.0]");
    EXPECT_FALSE(payload.contains("challengeResponse"));
}

TEST(hmac_x25519_handshake, allowlist_mode_refuses_unknown_peers_and_admits_listed_ones) {
    auto a = node_options("a"), b = node_options("b");
    auto list = std::make_shared<allowlist>();
    b.mode = auth_mode::allowlist;
    b.peers = list;
    auto refused = respond_to(a, b);
    ASSERT_EQ(refused.then, action::state::fail);
    EXPECT_EQ(refused.error, error::peer_not_allowed);
    EXPECT_EQ(payload_of(refused).at("reason"), "peer not authorized");

    list->allow_id(a.identity->id());
    EXPECT_EQ(respond_to(a, b).then, action::state::done);
    auto by_key = std::make_shared<allowlist>();
    by_key->allow_key(a.identity->public_key());
    b.peers = by_key;
    EXPECT_EQ(respond_to(a, b).then, action::state::done);
}

TEST(hmac_x25519_handshake, an_allowlisted_id_claimed_with_another_key_is_refused) {
    auto a = node_options("a"), b = node_options("b"), mallory = node_options("mallory");
    auto list = std::make_shared<allowlist>();
    list->allow_id(a.identity->id());
    b.mode = auth_mode::allowlist;
    b.peers = list;
    auto refused = respond_to(mallory, b, [&](json::object& m) {
        m["payload"].as_object()["identity"].as_object()["id"] = a.identity->id();
    });
    ASSERT_EQ(refused.then, action::state::fail);
    EXPECT_EQ(refused.error, error::identity_mismatch);
}

TEST(hmac_x25519_handshake, bad_identity_keys_are_refused) {
    const bytes low_order(32, 0);  // the identity point: X25519 with it gives all zeros
    const std::string low_order_b64 = crypto::base64_encode(low_order);
    struct bad {
        std::string key;
        error expected;
    } cases[] = {
        {"not base64!", error::invalid_public_key},
        {crypto::base64_encode(bytes(31, 7)), error::invalid_public_key},
        {crypto::base64_encode(bytes(33, 7)), error::invalid_public_key},
        {low_order_b64, error::invalid_public_key},
    };
    for (const auto& c : cases) {
        auto refused = respond_to(node_options("a"), node_options("b"), [&](json::object& m) {
            auto& id = m["payload"].as_object()["identity"].as_object();
            id["publicKey"] = c.key;
            // Keep the id consistent where the key decodes, so the key check itself is what refuses.
            if (auto raw = crypto::base64_decode(c.key); raw && raw->size() == 32)
                id["id"] = node_id_of(crypto::x25519_public_key::from_bytes(*raw).value());
        });
        ASSERT_EQ(refused.then, action::state::fail) << c.key;
        EXPECT_EQ(refused.error, c.expected) << c.key;
        EXPECT_EQ(payload_of(refused).at("accepted"), false);
    }
}

// The close a failed step asks for: its own, or the one the runtime derives from its error.
std::uint16_t close_code_of(const action& a) { return a.close ? a.close->code : default_close_code(a.error); }

TEST(hmac_x25519_handshake, malformed_hellos_are_refused_as_protocol_errors) {
    auto b = node_options("b");
    for (std::string bad : {std::string("not json"), std::string("[]"), std::string(R"({"type":""})"),
                            std::string(R"({"id":1,"type":"handshake"})")}) {
        handshake server(role::server, b);
        server.start();
        auto refused = server.resume(as_bytes(bad));
        ASSERT_EQ(refused.then, action::state::fail) << bad;
        EXPECT_EQ(refused.error, error::invalid_message) << bad;
        EXPECT_EQ(refused.close->code, close_code::protocol_error);
    }
    auto wrong_type = respond_to(node_options("a"), b, [](json::object& m) { m["type"] = "ping"; });
    EXPECT_EQ(wrong_type.error, error::unexpected_type);
    EXPECT_EQ(close_code_of(wrong_type), close_code::protocol_error);
    auto no_challenge = respond_to(node_options("a"), b, [](json::object& m) { m["payload"].as_object().erase("challenge"); });
    EXPECT_EQ(no_challenge.error, error::invalid_challenge);
}

TEST(hmac_x25519_handshake, initiator_aborts_on_a_bad_challenge_response_or_a_refusal) {
    auto a = node_options("a"), b = node_options("b");
    handshake client(role::client, a), server(role::server, b);
    auto hello = client.start();
    server.start();
    auto ack = server.resume(hello.out[0].data);
    auto edited = json::parse(text_of(ack.out[0])).as_object();
    auto response = crypto::base64_decode(edited["payload"].as_object()["challengeResponse"].as_string()).value();
    response[0] ^= 1;
    edited["payload"].as_object()["challengeResponse"] = crypto::base64_encode(response);
    auto aborted = client.resume(as_bytes(json::serialize(edited)));
    ASSERT_EQ(aborted.then, action::state::fail);
    EXPECT_EQ(aborted.error, error::bad_challenge_response);
    EXPECT_EQ(aborted.error, condition::authentication_failed);
    EXPECT_EQ(close_code_of(aborted), close_code::policy_violation);

    handshake client2(role::client, a);
    client2.start();
    auto missing = json::parse(text_of(ack.out[0])).as_object();
    missing["payload"].as_object().erase("challengeResponse");
    auto no_response = client2.resume(as_bytes(json::serialize(missing)));
    EXPECT_EQ(no_response.error, error::bad_challenge_response);
    EXPECT_EQ(close_code_of(no_response), close_code::policy_violation);

    handshake client3(role::client, a);
    client3.start();
    auto refusal = respond_to(a, node_options("c"), [](json::object& m) { m["payload"].as_object()["version"] = "9"; });
    auto refused = client3.resume(refusal.out[0].data);
    EXPECT_EQ(refused.error, error::handshake_refused);
    EXPECT_EQ(close_code_of(refused), close_code::normal) << "the responder refused: we close politely";
}

TEST(hmac_x25519_handshake, a_pinned_initiator_refuses_another_responder) {
    auto a = node_options("a"), b = node_options("b"), c = node_options("c");
    a.expected_peer_id = b.identity->id();
    handshake client(role::client, a), impostor(role::server, c);
    auto hello = client.start();
    impostor.start();
    auto ack = impostor.resume(hello.out[0].data);
    ASSERT_EQ(ack.then, action::state::done);  // c answers honestly with its own identity
    EXPECT_EQ(client.resume(ack.out[0].data).error, error::peer_not_allowed);
}

// Runs both state machines to the end; the two outcomes (initiator's, responder's).
std::pair<action, action> handshake_between(const options& initiator, const options& responder) {
    handshake client(role::client, initiator), server(role::server, responder);
    auto hello = client.start();
    server.start();
    auto ack = server.resume(hello.out[0].data);
    if (ack.then != action::state::done) return {action::fail(ack.error), std::move(ack)};
    auto done = client.resume(ack.out[0].data);
    return {std::move(done), std::move(ack)};
}

// What `from` sealed, opened by `to`.
bool opens(cipher& from, cipher& to) {
    const std::string m = R"({"id":"x","type":"chat","from":"a","to":"b","ts":"t","payload":{}})";
    message_buffer frame, out;
    return !from.seal(as_bytes(m), frame) && !to.open(frame.bytes(), out) && out.text() == m;
}

TEST(hmac_x25519_handshake, the_ephemeral_extension_is_used_only_when_both_sides_announce_it) {
    auto a = node_options("a"), b = node_options("b");
    a.ephemeral = b.ephemeral = ephemeral_mode::offer;
    auto [fs_client, fs_server] = handshake_between(a, b);
    ASSERT_EQ(fs_client.then, action::state::done) << fs_client.error.message();
    ASSERT_EQ(fs_server.then, action::state::done);
    EXPECT_TRUE(payload_of(fs_server).contains(ephemeral_field));
    EXPECT_TRUE(opens(fs_client.session->cipher, fs_server.session->cipher));
    EXPECT_TRUE(opens(fs_server.session->cipher, fs_client.session->cipher));

    // The same two identities without the extension: the static key, which cannot open the
    // forward-secret session's frames (so the extension really changed the key).
    auto plain_a = a, plain_b = b;
    plain_a.ephemeral = plain_b.ephemeral = ephemeral_mode::off;
    auto [static_client, static_server] = handshake_between(plain_a, plain_b);
    ASSERT_EQ(static_client.then, action::state::done);
    EXPECT_FALSE(payload_of(static_server).contains(ephemeral_field));
    EXPECT_FALSE(opens(fs_client.session->cipher, static_server.session->cipher));

    // offer against a Go-like peer (off) falls back to the static key, both ways round.
    auto [offer_client, off_server] = handshake_between(a, plain_b);
    ASSERT_EQ(offer_client.then, action::state::done);
    EXPECT_TRUE(opens(offer_client.session->cipher, static_server.session->cipher));
    auto [off_client, offer_server] = handshake_between(plain_a, b);
    ASSERT_EQ(off_client.then, action::state::done);
    EXPECT_TRUE(opens(off_client.session->cipher, static_server.session->cipher));
}

TEST(hmac_x25519_handshake, require_refuses_peers_without_the_extension) {
    auto a = node_options("a"), b = node_options("b");
    a.ephemeral = ephemeral_mode::require;
    auto [client_side, server_side] = handshake_between(a, b);
    EXPECT_EQ(client_side.error, error::forward_secrecy_required);

    auto go_like = node_options("go"), strict = node_options("strict");
    strict.ephemeral = ephemeral_mode::require;
    auto refused = respond_to(go_like, strict);
    ASSERT_EQ(refused.then, action::state::fail);
    EXPECT_EQ(refused.error, error::forward_secrecy_required);
    EXPECT_EQ(payload_of(refused).at("reason"), "forward secrecy required");

    auto both = node_options("c");
    both.ephemeral = ephemeral_mode::require;
    EXPECT_EQ(handshake_between(a, both).first.then, action::state::done);
    // A bad ephemeral key is refused, not silently dropped.
    auto offer = node_options("d");
    offer.ephemeral = ephemeral_mode::offer;
    auto bad = respond_to(offer, both, [](json::object& m) { m["payload"].as_object()[ephemeral_field] = "AAAA"; });
    EXPECT_EQ(bad.error, error::invalid_public_key);
}

// --- SMSG container --------------------------------------------------------------------------

struct keyed_pair {
    cipher sender{smsg::codec::create(bytes(32, 0x42)).value()};
    cipher receiver{smsg::codec::create(bytes(32, 0x42)).value()};
    message_buffer frame;
    keyed_pair() {
        const std::string m = R"({"id":"x","type":"chat","from":"a","to":"b","ts":"t","payload":{}})";
        EXPECT_FALSE(sender.seal(as_bytes(m), frame));
    }
    error_code open(const bytes& wire) {
        message_buffer out;
        auto ec = receiver.open(wire, out);
        if (ec) {
            EXPECT_TRUE(out.empty());
        }
        return ec;
    }
    bytes wire() const { return bytes(frame.bytes().begin(), frame.bytes().end()); }
};

TEST(hmac_x25519_smsg, frames_that_are_not_smsg_or_are_cut_short_are_refused) {
    keyed_pair p;
    EXPECT_FALSE(p.open(p.wire()));
    auto not_smsg = bytes{'{', '}'};
    EXPECT_EQ(p.open(not_smsg), error::invalid_container);
    auto magic = p.wire();
    magic[0] = 'X';
    EXPECT_EQ(p.open(magic), error::invalid_container);
    auto version = p.wire();
    version[4] = 0x03;
    EXPECT_EQ(p.open(version), error::invalid_container);
    auto header_past_end = p.wire();
    header_past_end[5] = 0x00;
    header_past_end[6] = 0x10;  // 1 MiB header in a frame of a few hundred bytes
    EXPECT_EQ(p.open(header_past_end), error::invalid_container);
    auto bad_header = p.wire();
    bad_header[9] = '[';
    EXPECT_EQ(p.open(bad_header), error::invalid_container);
    for (std::size_t cut : {std::size_t(0), std::size_t(8), smsg::prefix_size + smsg::header.size() + 39}) {
        auto truncated = p.wire();
        truncated.resize(cut);
        EXPECT_EQ(p.open(truncated), error::invalid_container) << cut;
    }
}

// A frame that opens but whose inner JSON has an empty body (Go's transport never sends one)
// is invalid_payload, and the session closes with 1002.
TEST(hmac_x25519_smsg, an_empty_body_is_an_invalid_payload) {
    auto sender = smsg::codec::create(bytes(32, 0x42)).value();
    auto receiver = smsg::codec::create(bytes(32, 0x42)).value();
    message_buffer frame;
    ASSERT_FALSE(sender.seal("", frame));
    std::string body = "left over";
    EXPECT_EQ(receiver.open(frame.bytes(), body), error::invalid_payload);
    EXPECT_TRUE(body.empty());
    message_buffer real;
    ASSERT_FALSE(sender.seal("x", real));
    EXPECT_FALSE(receiver.open(real.bytes(), body));  // the same key opens a real body
    EXPECT_EQ(body, "x");
    keyed_pair p;
    EXPECT_EQ(p.receiver.on_open_failure(error::invalid_payload).close->code, close_code::protocol_error);
}

TEST(hmac_x25519_smsg, any_flipped_bit_after_the_header_fails_the_tag) {
    keyed_pair p;
    const auto start = smsg::prefix_size + smsg::header.size();
    for (std::size_t i = start; i < p.frame.size(); i += 7) {
        auto forged = p.wire();
        forged[i] ^= 0x01;
        EXPECT_EQ(p.open(forged), error::decrypt_failed) << i;
    }
    EXPECT_EQ(p.receiver.on_open_failure(error::decrypt_failed).close->code, close_code::policy_violation);
    EXPECT_EQ(p.receiver.on_open_failure(error::invalid_container).close->code, close_code::protocol_error);
}

// An SMSG whose inner JSON is not UTF-8 (a peer that is not Go: Go's encoder never writes one)
// is invalid_payload, closed with 1002; what we seal never is one (see the wire test below).
TEST(hmac_x25519_smsg, inner_json_that_is_not_utf8_is_an_invalid_payload) {
    const bytes shared(32, 0x42);
    auto receiver = smsg::codec::create(shared).value();
    auto forge = [&](std::string inner) {
        const auto nonce = bytes(smsg::nonce_size, 0x07);
        auto plain = bytes(inner.begin(), inner.end());
        smsg::apply_xor_stream(nonce, plain);
        auto key = crypto::aead::create(crypto::aead_algorithm::xchacha20_poly1305, smsg::derive_key(shared)).value();
        bytes frame{'S', 'M', 'S', 'G', smsg::container_version, 0, 0, 0, static_cast<byte>(smsg::header.size())};
        frame.insert(frame.end(), smsg::header.begin(), smsg::header.end());
        frame.insert(frame.end(), nonce.begin(), nonce.end());
        bytes sealed(plain.size() + crypto::aead::tag_size);
        EXPECT_FALSE(key.seal(nonce, {}, plain, sealed));
        frame.insert(frame.end(), sealed.begin(), sealed.end());
        return frame;
    };
    std::string body;
    EXPECT_FALSE(receiver.open(forge(R"({"body":"caf\u00e9","timestamp":1})"), body)) << "the forging is right";
    EXPECT_EQ(body, "caf\xC3\xA9");
    EXPECT_EQ(receiver.open(forge("{\"body\":\"caf\xC3\x28\",\"timestamp\":1}"), body), error::invalid_payload);
    EXPECT_TRUE(body.empty());
    EXPECT_EQ(receiver.open(forge("{\"body\":\"\xED\xA0\x80\",\"timestamp\":1}"), body), error::invalid_payload)
        << "a UTF-16 surrogate in UTF-8";
    keyed_pair p;
    EXPECT_EQ(p.receiver.on_open_failure(error::invalid_payload).close->code, close_code::protocol_error);

    // Bytes that are not UTF-8 in a body we seal go out as U+FFFD, as from Go.
    auto sender = smsg::codec::create(shared).value();
    message_buffer frame;
    ASSERT_FALSE(sender.seal("caf\xC3\x28", frame));
    ASSERT_FALSE(receiver.open(frame.bytes(), body));
    EXPECT_EQ(body, "caf\xEF\xBF\xBD(");
}

// --- wire --------------------------------------------------------------------------------------

TEST(hmac_x25519_wire, envelopes_are_written_in_gos_field_order_and_escaping) {
    wire::envelope e{"id-1", "chat", "a", "", "2026-01-01T00:00:00Z",
                     json::object{{"text", "<b>&\u2028"}, {"n", 5}}, ""};
    EXPECT_EQ(wire::serialize(e),
              R"({"id":"id-1","type":"chat","from":"a","to":"","ts":"2026-01-01T00:00:00Z",)"
              R"("payload":{"text":"<b>&\u2028","n":5}})");
    e.reply_to = "id-0";
    EXPECT_TRUE(wire::serialize(e).ends_with(R"(,"replyTo":"id-0"})"));
    EXPECT_EQ(wire::find_id(wire::serialize(e)), "id-1");
    auto parsed = wire::parse(wire::serialize(e)).value();
    EXPECT_EQ(parsed.reply_to, "id-0");
    EXPECT_EQ(parsed.payload.at("n"), 5);
    EXPECT_EQ(wire::parse(R"({"type":"x","from":7})").error(), error::invalid_message);
    // Go's decoder refuses a number past float64 range; Boost.JSON would read it as ±inf.
    EXPECT_EQ(wire::parse(R"({"type":"chat","payload":{"n":1e400}})").error(), error::invalid_message);

    std::string html;
    wire::write_json_string("<a&b>\n\x01", html, true);
    EXPECT_EQ(html, R"("\u003ca\u0026b\u003e\n\u0001")");
}

// Go's appendString: valid UTF-8 is copied, U+2028/U+2029 escaped, and each byte that does not
// start a valid sequence (RFC 3629: no overlongs, surrogates or code points past U+10FFFF)
// becomes \ufffd, one per byte.
TEST(hmac_x25519_wire, bytes_that_are_not_utf8_are_written_as_go_writes_them) {
    auto go = [](std::string_view s) {
        std::string out;
        wire::write_json_string(s, out, true);
        return out;
    };
    EXPECT_EQ(go("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBD"),
              "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBD\"");
    EXPECT_EQ(go("\xE2\x80\xA8\xE2\x80\xA9"), R"("\u2028\u2029")");
    EXPECT_EQ(go("a\xC3\x28" "b\xE2\x82"), R"("a\ufffd(b\ufffd\ufffd")") << "cut short";
    EXPECT_EQ(go("\xC0\xAF"), R"("\ufffd\ufffd")") << "overlong /";
    EXPECT_EQ(go("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")") << "surrogate";
    EXPECT_EQ(go("\xF4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")") << "past U+10FFFF";
    EXPECT_EQ(go("\xFF<\x80"), R"("\ufffd\u003c\ufffd")");
}

TEST(hmac_x25519_wire, timestamps_are_rfc3339_with_trimmed_nanoseconds_and_ids_are_uuid_v4) {
    using namespace std::chrono;
    const sys_seconds base{seconds{1767225600}};
    EXPECT_EQ(wire::rfc3339_nano(base), "2026-01-01T00:00:00Z");
    EXPECT_EQ(wire::rfc3339_nano(base + nanoseconds(123456789)), "2026-01-01T00:00:00.123456789Z");
    EXPECT_EQ(wire::rfc3339_nano(base + milliseconds(120)), "2026-01-01T00:00:00.12Z");
    const auto id = wire::new_uuid();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[14], '4');
    EXPECT_NE(id, wire::new_uuid());
}

}  // namespace
