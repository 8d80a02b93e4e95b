// Each scheme's handshake as pure CPU: both sides' sans-I/O state machines in one process, no
// sockets — what a handshake costs before any I/O, i.e. the bound on handshakes per core.
// Plus each scheme's per-message seal+open. The envelope has no handshake: its figure is one
// whole request (seal, open, seal the response, open it), which is what each request costs.
// Run: build/bin/sealed_bench_handshakes
#include <sealed/ecdh_gcm/scheme.hpp>
#include <sealed/envelope/seal.hpp>
#include <sealed/hmac_x25519/scheme.hpp>
#include <sealed/noise/scheme.hpp>
#include <sealed/plaintext/scheme.hpp>
#include <sealed/pnet/scheme.hpp>

#include "users.hpp"

#include <benchmark/benchmark.h>

#include <stdexcept>

namespace {

using namespace sealed;

// Drives client and server to completion; both ciphers. Each round hands every message either
// side wrote to the other, so schemes where both speak at once (pnet's nonces) complete too.
template <class Scheme>
std::pair<cipher_of<Scheme>, cipher_of<Scheme>> handshake_once(const typename Scheme::options& client_opts,
                                                               const typename Scheme::options& server_opts) {
    auto client = Scheme::make_handshake(role::client, client_opts);
    auto server = Scheme::make_handshake(role::server, server_opts);
    auto at_client = client.start();
    auto at_server = server.start();
    using state = typename decltype(at_client)::state;
    auto to_server = std::move(at_client.out);
    auto to_client = std::move(at_server.out);
    for (int round = 0; round < 8; ++round) {
        decltype(to_server) next_to_server, next_to_client;
        for (auto& m : to_server) {
            at_server = server.resume(m.data);
            for (auto& reply : at_server.out) next_to_client.push_back(std::move(reply));
        }
        for (auto& m : to_client) {
            at_client = client.resume(m.data);
            for (auto& reply : at_client.out) next_to_server.push_back(std::move(reply));
        }
        to_server = std::move(next_to_server);
        to_client = std::move(next_to_client);
        if (at_client.then == state::done && at_server.then == state::done)
            return {std::move(at_client.session->cipher), std::move(at_server.session->cipher)};
        if (at_client.then == state::fail || at_server.then == state::fail) break;
    }
    throw std::runtime_error("handshake did not complete");
}

template <class Scheme>
void handshake(benchmark::State& state, typename Scheme::options client_opts, typename Scheme::options server_opts) {
    for (auto _ : state) {
        auto ciphers = handshake_once<Scheme>(client_opts, server_opts);
        benchmark::DoNotOptimize(ciphers);
    }
    state.SetItemsProcessed(state.iterations());
}

template <class Scheme>
void seal_open(benchmark::State& state, typename Scheme::options client_opts, typename Scheme::options server_opts,
               bytes message) {
    auto [client, server] = handshake_once<Scheme>(client_opts, server_opts);
    message_buffer wire, plain;
    for (auto _ : state) {
        wire.clear();
        plain.clear();
        if (client.seal(message, wire) || server.open(wire.bytes(), plain)) state.SkipWithError("seal/open failed");
        benchmark::DoNotOptimize(plain);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message.size()));
}

// ECDH-GCM messages are inner events; a JSON string of the given size.
bytes event_of_size(std::size_t n) {
    std::string text = R"({"event":"m","data":")" + std::string(n > 24 ? n - 24 : 1, 'x') + "\"}";
    return bytes(text.begin(), text.end());
}

ecdh_gcm::options ecdh_client() {
    ecdh_gcm::options o;
    o.token = "bench";
    return o;
}
ecdh_gcm::options ecdh_server() {
    ecdh_gcm::options o;
    o.keys = nullptr;  // no key map: the handshake alone
    return o;
}

// HMAC-X25519 nodes: long-term identities made once (as a node does); messages are envelopes.
hmac_x25519::options hmac_node(std::string_view name, hmac_x25519::ephemeral_mode ephemeral) {
    hmac_x25519::options o;
    o.identity = std::make_shared<hmac_x25519::node_identity>(hmac_x25519::node_identity::generate(name));
    o.ephemeral = ephemeral;
    return o;
}
bytes envelope_of_size(std::size_t n) {
    auto text = hmac_x25519::wire::serialize(
        hmac_x25519::wire::make_envelope("m", "a", "b", boost::json::object{{"f", std::string(n > 150 ? n - 150 : 1, 'x')}}));
    return bytes(text.begin(), text.end());
}

// pnet: one network PSK on both sides (the gateway derives it per tenant; that is one SHA-256).
pnet::options pnet_side() {
    pnet::options o;
    o.key = pnet::tenant_psk(bytes(32, 0x5a), "did:example:bench");
    return o;
}

// noise: XX with a static key per side (made once, as a server does), the server pinned.
struct noise_sides {
    noise::options client, server;
    noise_sides() {
        server.static_key = std::make_shared<const crypto::x25519_private_key>(crypto::x25519_private_key::generate());
        client.static_key = std::make_shared<const crypto::x25519_private_key>(crypto::x25519_private_key::generate());
        client.expected_peer = server.static_key->public_key();
    }
};

// The envelope's per-request cost: the client seals to the server's key, the server opens it
// (P-256 agreement with the request's ephemeral key, HKDF, AES-256-GCM) and seals a response,
// the client opens that.
void envelope_request(benchmark::State& state, std::size_t size) {
    const auto key = envelope::make_server_key(crypto::p256_private_key::generate());
    const envelope::keyring keys(key);
    const envelope::server_public_key published{key->kid, key->key.public_key()};
    const bytes message(size, 'x');
    for (auto _ : state) {
        auto request = envelope::seal_request(published, message);
        if (!request) return state.SkipWithError("seal_request failed");
        auto opened = envelope::open_request(request->body(), keys, envelope::wall_clock::now());
        if (!opened) return state.SkipWithError("open_request failed");
        auto reply = request->open_response(opened->seal_response(opened->plaintext()));
        if (!reply) return state.SkipWithError("open_response failed");
        benchmark::DoNotOptimize(reply);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

// What envelope_api's /api/login costs its hashing worker: one Argon2id check at its parameters
// (a wrong password costs the same). Anyone can seal a login, so this bounds how fast a flood
// is worked off, and with --max-pending-hashes how long a real login waits at most.
void envelope_api_login(benchmark::State& state) {
    const auto hash = envelope_api::user_store::hash_password("correct horse battery staple");
    const std::string attempt = "a wrong password";
    for (auto _ : state) {
        auto match = Botan::argon2_check_pwhash(attempt.data(), attempt.size(), hash);
        benchmark::DoNotOptimize(match);
    }
    state.SetItemsProcessed(state.iterations());
}

void register_all() {
    using hmac_x25519::ephemeral_mode;
    benchmark::RegisterBenchmark("handshake/hmac_x25519", handshake<hmac_x25519::scheme>,
                                 hmac_node("a", ephemeral_mode::off), hmac_node("b", ephemeral_mode::off));
    benchmark::RegisterBenchmark("handshake/hmac_x25519+ephemeral", handshake<hmac_x25519::scheme>,
                                 hmac_node("a", ephemeral_mode::offer), hmac_node("b", ephemeral_mode::offer));
    benchmark::RegisterBenchmark("handshake/plaintext", handshake<plaintext::scheme>, plaintext::scheme::options{},
                                 plaintext::scheme::options{});
    benchmark::RegisterBenchmark("handshake/ecdh_gcm", handshake<ecdh_gcm::scheme>, ecdh_client(), ecdh_server());
    benchmark::RegisterBenchmark("handshake/pnet", handshake<pnet::scheme>, pnet_side(), pnet_side());
    const noise_sides noise_xx;
    benchmark::RegisterBenchmark("handshake/noise_xx", handshake<noise::scheme>, noise_xx.client, noise_xx.server);
    benchmark::RegisterBenchmark("request/envelope/1024", envelope_request, 1024);
    benchmark::RegisterBenchmark("request/envelope_api_login", envelope_api_login)->Unit(benchmark::kMillisecond);
    for (std::size_t size : {64u, 1024u, 16u * 1024u, 1024u * 1024u}) {
        const auto label = std::to_string(size);
        benchmark::RegisterBenchmark(("seal_open/ecdh_gcm/" + label).c_str(), seal_open<ecdh_gcm::scheme>,
                                     ecdh_client(), ecdh_server(), event_of_size(size));
        benchmark::RegisterBenchmark(("seal_open/hmac_x25519/" + label).c_str(), seal_open<hmac_x25519::scheme>,
                                     hmac_node("a", ephemeral_mode::off), hmac_node("b", ephemeral_mode::off),
                                     envelope_of_size(size));
        benchmark::RegisterBenchmark(("seal_open/pnet/" + label).c_str(), seal_open<pnet::scheme>, pnet_side(),
                                     pnet_side(), bytes(size, 'x'));
        benchmark::RegisterBenchmark(("seal_open/noise/" + label).c_str(), seal_open<noise::scheme>, noise_xx.client,
                                     noise_xx.server, bytes(size, 'x'));
        benchmark::RegisterBenchmark(("seal_open/plaintext/" + label).c_str(), seal_open<plaintext::scheme>,
                                     plaintext::scheme::options{}, plaintext::scheme::options{}, bytes(size, 'x'));
    }
}

}  // namespace

int main(int argc, char** argv) {
    register_all();
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
