// PSK-pnet pieces: the libp2p test vector through our cipher, the handshake whatever way the
// peer's nonce is cut up, the PSK file format (every accepted form and every refusal), tenant
// keys, DID syntax, and admission of /swarm/{DID} over a real socket (400 before the upgrade).
#include <sealed/client.hpp>
#include <sealed/crypto/encoding.hpp>
#include <sealed/crypto/hash.hpp>
#include <sealed/pnet/scheme.hpp>
#include <sealed/server.hpp>

#include <sealed_test/http.hpp>
#include <sealed_test/run.hpp>

#include <boost/beast/http.hpp>
#include <gtest/gtest.h>

#include <numeric>
#include <random>

namespace {

using namespace sealed;
using action = next_action<pnet::cipher>;

bytes range_bytes(std::size_t n) {
    bytes b(n);
    std::iota(b.begin(), b.end(), 0);
    return b;
}
bytes hex(std::string_view h) { return crypto::hex_decode(h).value(); }
pnet::psk key_of(const bytes& b) { return pnet::psk(b.begin(), b.end()); }

TEST(pnet, the_libp2p_vector_comes_out_of_our_cipher) {
    const auto key = range_bytes(32), nonce = range_bytes(24);
    pnet::cipher c(crypto::salsa20::create(key, nonce).value(), crypto::salsa20::create(key, nonce).value());
    message_buffer wire;
    ASSERT_FALSE(c.seal(hex("132f6d756c746973747265616d2f312e302e300a"), wire));
    EXPECT_EQ(crypto::hex_encode(wire.bytes()), "6f990ddab1eaaf35fb25b80c491cc81a18d3b2c7");
}

// pnet has no MAC (libp2p's pnet v1 is XSalsa20 alone): a bit flipped on the wire flips the same
// bit of the plaintext, and nothing notices. This is why the conformance suite's tamper test is
// skipped for pnet and why the swarm's multistream-select check is what refuses a wrong key.
TEST(pnet, a_flipped_wire_bit_flips_the_same_plaintext_bit_and_nothing_else) {
    const auto key = range_bytes(32), nonce = range_bytes(24);
    const std::string message = "/multistream/1.0.0\n/ipfs/ping/1.0.0\n";
    for (std::size_t bit = 0; bit < message.size() * 8; bit += 13) {
        pnet::cipher sender(crypto::salsa20::create(key, nonce).value(), crypto::salsa20::create(key, nonce).value());
        pnet::cipher receiver(crypto::salsa20::create(key, nonce).value(), crypto::salsa20::create(key, nonce).value());
        message_buffer wire, opened;
        ASSERT_FALSE(sender.seal(as_bytes(message), wire));
        bytes forged(wire.bytes().begin(), wire.bytes().end());
        forged[bit / 8] ^= static_cast<byte>(1u << (bit % 8));
        ASSERT_FALSE(receiver.open(forged, opened)) << "pnet refused a frame: it has no MAC to refuse with";
        std::string expected = message;
        expected[bit / 8] = static_cast<char>(expected[bit / 8] ^ (1 << (bit % 8)));
        EXPECT_EQ(opened.text(), expected) << bit;
    }
}

// Runs a handshake against a peer whose nonce and first data arrive cut into `pieces`.
TEST(pnet, the_peers_nonce_may_arrive_split_alone_or_with_data) {
    const auto key = key_of(range_bytes(32));
    std::mt19937 rng(7);
    for (int trial = 0; trial < 50; ++trial) {
        pnet::handshake a(key, {}, std::chrono::seconds(1)), b(key, {}, std::chrono::seconds(1));
        auto a_nonce = a.start().out.at(0).data;
        auto b_nonce = b.start().out.at(0).data;
        ASSERT_EQ(a_nonce.size(), pnet::nonce_size);
        auto b_done = b.resume(a_nonce);
        ASSERT_EQ(b_done.then, action::state::done);
        // b's nonce followed by b's first sealed bytes, cut at random points.
        const std::string hello = "/multistream/1.0.0\n";
        message_buffer sealed;
        ASSERT_FALSE(b_done.session->cipher.seal(as_bytes(hello), sealed));
        bytes stream = b_nonce;
        stream.insert(stream.end(), sealed.bytes().begin(), sealed.bytes().end());
        std::size_t at = 0;
        action a_done = action::read();
        while (a_done.then == action::state::read) {
            const std::size_t piece = std::min<std::size_t>(stream.size() - at, 1 + rng() % 9);
            a_done = a.resume(const_bytes(stream.data() + at, piece));
            at += piece;
        }
        ASSERT_EQ(a_done.then, action::state::done);
        message_buffer opened;
        ASSERT_FALSE(a_done.session->cipher.open(a_done.session->leftover, opened));
        // The rest of the stream, in whatever chunks: one continuous keystream.
        ASSERT_FALSE(a_done.session->cipher.open(const_bytes(stream.data() + at, stream.size() - at), opened));
        EXPECT_EQ(opened.text(), hello) << trial;
    }
}

// A rotating server holds two generations and keys each connection with the one the dialer's
// first message decrypts under, wherever that message is cut; the room says which.
TEST(pnet, a_rotating_server_picks_the_generation_the_dialer_speaks) {
    const auto current = key_of(range_bytes(32)), next = key_of(bytes(32, 0x42)), stranger = key_of(bytes(32, 0x07));
    std::mt19937 rng(11);
    for (const auto* dialer_key : {&current, &next, &stranger}) {
        pnet::handshake server(current, next, "did:example:alice", std::chrono::seconds(1));
        pnet::handshake dialer(*dialer_key, {}, std::chrono::seconds(1));
        const auto server_nonce = server.start().out.at(0).data;
        auto dialer_nonce = dialer.start().out.at(0).data;
        auto dialer_done = dialer.resume(server_nonce);
        ASSERT_EQ(dialer_done.then, action::state::done);
        const std::string hello = "/multistream/1.0.0\n";
        message_buffer sealed;
        ASSERT_FALSE(dialer_done.session->cipher.seal(as_bytes("\x13" + hello), sealed));
        bytes stream = dialer_nonce;
        stream.insert(stream.end(), sealed.bytes().begin(), sealed.bytes().end());
        action done = action::read();
        for (std::size_t at = 0; done.then == action::state::read && at < stream.size();) {
            const std::size_t piece = std::min<std::size_t>(stream.size() - at, 1 + rng() % 7);
            done = server.resume(const_bytes(stream.data() + at, piece));
            at += piece;
        }
        ASSERT_EQ(done.then, action::state::done) << "the server waited for the whole header";
        const bool is_next = dialer_key == &next;
        EXPECT_EQ(done.session->rooms, std::vector<std::string>{std::string(is_next ? pnet::next_key_room
                                                                                    : pnet::current_key_room)});
        message_buffer opened;
        ASSERT_FALSE(done.session->cipher.open(done.session->leftover, opened));
        // The chosen key opens the dialer's bytes; a stranger's still gets garbage, as before.
        EXPECT_EQ(opened.text() == "\x13" + hello, dialer_key != &stranger);
    }
}

TEST(pnet, psk_files_in_every_accepted_form) {
    const auto key = range_bytes(32);
    const std::string hex_key = crypto::hex_encode(key);
    std::string upper = hex_key;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string bin(key.begin(), key.end());
    for (const std::string& file : {
             "/key/swarm/psk/1.0.0/\n/base16/\n" + hex_key,
             "/key/swarm/psk/1.0.0/\n/base16/\n" + hex_key + "\n",
             "/key/swarm/psk/1.0.0/\r\n/BASE16/\r\n" + upper + "\r\n",
             "/key/swarm/psk/1.0.0/\n/base64/\n" + crypto::base64_encode(key) + "\n",
             "/key/swarm/psk/1.0.0/\n/bin/\n" + bin,
             "/key/swarm/psk/1.0.0/\n/bin/\n" + bin + "\n",
         }) {
        auto parsed = pnet::parse_psk_file(as_bytes(file));
        ASSERT_TRUE(parsed) << file << ": " << parsed.error().message();
        EXPECT_EQ(bytes(parsed->begin(), parsed->end()), key);
    }
    EXPECT_EQ(pnet::format_psk_file(key), "/key/swarm/psk/1.0.0/\n/base16/\n" + hex_key);
}

TEST(pnet, bad_psk_files_say_what_is_wrong) {
    const std::string hex_key = crypto::hex_encode(range_bytes(32));
    struct bad {
        std::string file;
        pnet::error expected;
    } cases[] = {
        {"", pnet::error::bad_psk_header},
        {"/key/swarm/psk/2.0.0/\n/base16/\n" + hex_key, pnet::error::bad_psk_header},
        {"/key/swarm/psk/1.0.0/\n/base32/\n" + hex_key, pnet::error::unknown_psk_encoding},
        {"/key/swarm/psk/1.0.0/\n/base16/\n" + hex_key.substr(2), pnet::error::bad_psk_length},
        {"/key/swarm/psk/1.0.0/\n/base16/\n" + hex_key + "00", pnet::error::bad_psk_length},
        {"/key/swarm/psk/1.0.0/\n/base16/\n" + hex_key.substr(1) + "g", pnet::error::bad_psk_characters},
        {"/key/swarm/psk/1.0.0/\n/base16/\n" + hex_key + "\nmore", pnet::error::bad_psk_characters},
        {"/key/swarm/psk/1.0.0/\n/base64/\n!!!!", pnet::error::bad_psk_characters},
        {"/key/swarm/psk/1.0.0/\n/base64/\n" + crypto::base64_encode(range_bytes(31)), pnet::error::bad_psk_length},
        {"/key/swarm/psk/1.0.0/\n/bin/\nshort", pnet::error::bad_psk_length},
    };
    for (const auto& c : cases) {
        auto parsed = pnet::parse_psk_file(as_bytes(c.file));
        ASSERT_FALSE(parsed) << c.file;
        EXPECT_EQ(parsed.error(), c.expected) << c.file;
        EXPECT_EQ(parsed.error().message().find(hex_key.substr(0, 8)), std::string::npos) << "no key text in errors";
    }
}

TEST(pnet, tenant_keys_master_secrets_and_fingerprints) {
    const std::string secret_hex = crypto::hex_encode(range_bytes(32));
    auto secret = pnet::parse_master_secret("  " + secret_hex + "\n").value();
    EXPECT_EQ(bytes(secret.begin(), secret.end()), range_bytes(32));
    EXPECT_FALSE(pnet::parse_master_secret(secret_hex.substr(2)));        // 31 bytes
    EXPECT_FALSE(pnet::parse_master_secret(secret_hex + "0"));             // odd length
    EXPECT_FALSE(pnet::parse_master_secret("zz" + secret_hex.substr(2)));  // not hex
    const auto alice = pnet::tenant_psk(secret, "did:example:alice");
    const auto expected = crypto::sha256({range_bytes(32), as_bytes("did:example:alice")});
    EXPECT_EQ(bytes(alice.begin(), alice.end()), bytes(expected.begin(), expected.end()));
    EXPECT_NE(alice, pnet::tenant_psk(secret, "did:example:bob"));
    EXPECT_EQ(pnet::fingerprint(alice).size(), 32u);
    EXPECT_EQ(pnet::fingerprint(alice), pnet::fingerprint(alice));
    EXPECT_NE(pnet::fingerprint(alice), pnet::fingerprint(pnet::tenant_psk(secret, "did:example:bob")));
}

TEST(pnet, did_syntax) {
    for (std::string_view good : {"did:example:alice", "did:web:example.com", "did:key:z6Mk-_.x", "did:a1:b:c",
                                  "did:example:%20x", "did:plc:abc123"})
        EXPECT_TRUE(pnet::is_valid_did(good)) << good;
    for (std::string_view bad : {"", "did:", "did::x", "did:Example:x", "did:ex", "did:ex:", "did:ex:a:",
                                 "did:ex:a b", "did:ex:%2", "did:ex:%zz", "dad:ex:x", "did:ex:a/b", "did:ex:a?b"})
        EXPECT_FALSE(pnet::is_valid_did(bad)) << bad;
}

TEST(pnet, did_of_names_the_tenant_or_says_invalid_did) {
    EXPECT_EQ(pnet::did_of("/swarm/did:example:alice?x=1", "/swarm/").value(), "did:example:alice");
    for (std::string_view bad : {"/swarm/not-a-did", "/swarm/", "/other/did:example:alice", "/swarm/did:ex:a/b"}) {
        const auto did = pnet::did_of(bad, "/swarm/");
        ASSERT_FALSE(did) << bad;
        EXPECT_EQ(did.error(), pnet::error::invalid_did) << bad;
        EXPECT_EQ(did.error(), condition::protocol_violation) << bad;
    }
}

// Over a real socket: a bad DID is refused with HTTP 400 before any upgrade; a good one
// handshakes with its tenant key, and a client holding another tenant's key gets only garbage.
TEST(pnet, swarm_paths_are_admitted_by_did_and_keyed_per_tenant) {
    net::io_context io;
    server_config cfg;
    cfg.listen = "127.0.0.1:0";
    cfg.ws_path = "/swarm/";
    pnet::options server_opts;
    server_opts.master_secret = std::make_shared<secure_bytes>(secure_bytes(32, 0x5a));
    server<ws, pnet::scheme> srv(io, cfg, server_opts);
    srv.on_session([](auto& c) { return sealed_test::echo(c); });
    const auto port = srv.start().value().port();
    const auto base = "ws://127.0.0.1:" + std::to_string(port) + "/swarm/";

    sealed_test::run(io, [&]() -> awaitable<void> {
        // A bad DID: the HTTP answer, before any upgrade.
        beast::tcp_stream raw(io);
        co_await raw.async_connect(tcp_endpoint(net::ip::make_address("127.0.0.1"), port), net::use_awaitable);
        const auto req = sealed_test::upgrade_request("/swarm/not-a-did");
        co_await http::async_write(raw, req, net::use_awaitable);
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        co_await http::async_read(raw, buffer, res, net::use_awaitable);
        EXPECT_EQ(res.result(), http::status::bad_request);
        EXPECT_EQ(res.body(), "not a DID: expected /swarm/did:<method>:<id>\n");

        pnet::options alice;
        alice.key = pnet::tenant_psk(*server_opts.master_secret, "did:example:alice");
        const client_config ccfg;
        auto good = co_await client<ws, pnet::scheme>::connect(io.get_executor(), std::string_view(base + "did:example:alice"),
                                                              ccfg, alice);
        CO_ASSERT_TRUE(good);
        const auto ping = as_bytes("/multistream/1.0.0\n");
        CO_ASSERT_FALSE(co_await good->async_send(ping));
        message_buffer back;
        CO_ASSERT_FALSE(co_await good->async_receive(back));
        EXPECT_EQ(back.text(), "/multistream/1.0.0\n");

        // Alice's key on Bob's path: the server decrypts with Bob's key — garbage both ways.
        auto crossed = co_await client<ws, pnet::scheme>::connect(io.get_executor(), std::string_view(base + "did:example:bob"),
                                                                 ccfg, alice);
        CO_ASSERT_TRUE(crossed);
        CO_ASSERT_FALSE(co_await crossed->async_send(ping));
        CO_ASSERT_FALSE(co_await crossed->async_receive(back));
        EXPECT_NE(back.text(), "/multistream/1.0.0\n");
    }());
    srv.stop();
    sealed_test::drain(io);
}

}  // namespace
