// Each scheme's handshake as pure CPU: both sides' sans-I/O state machines in one process, no
// sockets — what a handshake costs before any I/O, i.e. the bound on handshakes per core.
// Plus each scheme's per-message seal+open. Run: build/bin/sealed_bench_handshakes
#include <sealed/ecdh_gcm/scheme.hpp>
#include <sealed/hmac_x25519/scheme.hpp>
#include <sealed/plaintext/scheme.hpp>

#include <benchmark/benchmark.h>

#include <stdexcept>

namespace {

using namespace sealed;

// Drives client and server to completion; both ciphers.
template <class Scheme>
std::pair<cipher_of<Scheme>, cipher_of<Scheme>> handshake_once(const typename Scheme::options& client_opts,
                                                               const typename Scheme::options& server_opts) {
    auto client = Scheme::make_handshake(role::client, client_opts);
    auto server = Scheme::make_handshake(role::server, server_opts);
    auto to_server = client.start();
    auto to_client = server.start();
    using state = typename decltype(to_server)::state;
    for (int round = 0; round < 8; ++round) {
        for (auto& m : to_server.out) to_client = server.resume(m.data);
        to_server.out.clear();
        for (auto& m : to_client.out) to_server = client.resume(m.data);
        to_client.out.clear();
        if (to_server.then == state::done && to_client.then == state::done)
            return {std::move(to_server.session->cipher), std::move(to_client.session->cipher)};
        if (to_server.then == state::fail || to_client.then == state::fail) break;
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

void register_all() {
    using hmac_x25519::ephemeral_mode;
    benchmark::RegisterBenchmark("handshake/hmac_x25519", handshake<hmac_x25519::scheme>,
                                 hmac_node("a", ephemeral_mode::off), hmac_node("b", ephemeral_mode::off));
    benchmark::RegisterBenchmark("handshake/hmac_x25519+ephemeral", handshake<hmac_x25519::scheme>,
                                 hmac_node("a", ephemeral_mode::offer), hmac_node("b", ephemeral_mode::offer));
    benchmark::RegisterBenchmark("handshake/plaintext", handshake<plaintext::scheme>, plaintext::scheme::options{},
                                 plaintext::scheme::options{});
    benchmark::RegisterBenchmark("handshake/ecdh_gcm", handshake<ecdh_gcm::scheme>, ecdh_client(), ecdh_server());
    for (std::size_t size : {64u, 1024u, 16u * 1024u, 1024u * 1024u}) {
        const auto label = std::to_string(size);
        benchmark::RegisterBenchmark(("seal_open/ecdh_gcm/" + label).c_str(), seal_open<ecdh_gcm::scheme>,
                                     ecdh_client(), ecdh_server(), event_of_size(size));
        benchmark::RegisterBenchmark(("seal_open/hmac_x25519/" + label).c_str(), seal_open<hmac_x25519::scheme>,
                                     hmac_node("a", ephemeral_mode::off), hmac_node("b", ephemeral_mode::off),
                                     envelope_of_size(size));
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
