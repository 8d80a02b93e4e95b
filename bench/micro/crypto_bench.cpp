// Every primitive in every provider that implements it, so each figure says which provider
// made it. Run: build/bin/sealed_bench_crypto --benchmark_format=json
#include <sealed/crypto/aead.hpp>
#include <sealed/crypto/ecdh.hpp>
#include <sealed/crypto/hash.hpp>
#include <sealed/crypto/kdf.hpp>
#include <sealed/crypto/random.hpp>
#include <sealed/crypto/sign.hpp>
#include <sealed/crypto/stream.hpp>

#include <benchmark/benchmark.h>

#include <string>

namespace {

using namespace sealed;
using namespace sealed::crypto;

void p256_keygen_agree(benchmark::State& state, provider p) {
    auto peer = p256_private_key::generate(p);
    for (auto _ : state) {
        auto mine = p256_private_key::generate(p);
        auto peer_pub = p256_public_key::from_sec1(peer.public_key().bytes(), p);  // validation is part of the cost
        auto shared = mine.agree(*peer_pub);
        benchmark::DoNotOptimize(shared);
    }
    state.SetItemsProcessed(state.iterations());
}

void x25519_keygen_agree(benchmark::State& state, provider p) {
    auto peer = x25519_private_key::generate(p);
    for (auto _ : state) {
        auto mine = x25519_private_key::generate(p);
        auto shared = mine.agree(peer.public_key());
        benchmark::DoNotOptimize(shared);
    }
    state.SetItemsProcessed(state.iterations());
}

// What a libp2p peer does per message it accepts (a pubsub signature) and per handshake.
void ed25519_sign(benchmark::State& state, provider p) {
    const auto key = ed25519_private_key::generate(p);
    const std::array<byte, 64> message{};
    for (auto _ : state) benchmark::DoNotOptimize(key.sign(message));
}
void ed25519_verify(benchmark::State& state, provider p) {
    const auto key = ed25519_private_key::generate(p);
    const std::array<byte, 64> message{};
    const auto signature = key.sign(message);
    for (auto _ : state) benchmark::DoNotOptimize(key.public_key().verify(message, signature, p));
}

void sha256_bench(benchmark::State& state, provider p) {
    bytes msg(static_cast<std::size_t>(state.range(0)), 2);
    for (auto _ : state) benchmark::DoNotOptimize(sha256(msg, p));
    state.SetBytesProcessed(state.iterations() * state.range(0));
}

void hkdf(benchmark::State& state, provider p) {
    secure_bytes ikm(32, 1), salt(32, 2), out(32);
    for (auto _ : state) benchmark::DoNotOptimize(hkdf_sha256(ikm, salt, as_bytes("info"), out, p));
    state.SetItemsProcessed(state.iterations());
}

void hmac(benchmark::State& state, provider p) {
    bytes key(32, 1), msg(static_cast<std::size_t>(state.range(0)), 2);
    for (auto _ : state) benchmark::DoNotOptimize(hmac_sha256(key, msg, p));
    state.SetBytesProcessed(state.iterations() * state.range(0));
}

void aead_seal(benchmark::State& state, aead_algorithm a, provider p) {
    bytes key(32, 7);
    auto cipher = aead::create(a, key, p);
    if (!cipher) return state.SkipWithError("not provided");
    bytes nonce(cipher->nonce_size(), 3), msg(static_cast<std::size_t>(state.range(0)), 5);
    bytes out(msg.size() + aead::tag_size);
    for (auto _ : state) benchmark::DoNotOptimize(cipher->seal(nonce, {}, msg, out));
    state.SetBytesProcessed(state.iterations() * state.range(0));
}

void xsalsa20(benchmark::State& state, provider p) {
    bytes key(32, 1), nonce(24, 2), data(static_cast<std::size_t>(state.range(0)), 0);
    auto s = salsa20::create(key, nonce, p);
    if (!s) return state.SkipWithError("not provided");
    for (auto _ : state) s->apply(data);
    state.SetBytesProcessed(state.iterations() * state.range(0));
}

// Registers each benchmark once per provider that implements it: name/provider.
[[maybe_unused]] const bool registered = [] {
    for (provider p : compiled_providers()) {
        const std::string suffix = "/" + std::string(to_string(p));
        if (provides(p, primitive::p256))
            benchmark::RegisterBenchmark(("p256_keygen_agree" + suffix).c_str(), p256_keygen_agree, p);
        if (provides(p, primitive::x25519))
            benchmark::RegisterBenchmark(("x25519_keygen_agree" + suffix).c_str(), x25519_keygen_agree, p);
        if (provides(p, primitive::ed25519)) {
            benchmark::RegisterBenchmark(("ed25519_sign_64B" + suffix).c_str(), ed25519_sign, p);
            benchmark::RegisterBenchmark(("ed25519_verify_64B" + suffix).c_str(), ed25519_verify, p);
        }
        if (provides(p, primitive::sha256))
            benchmark::RegisterBenchmark(("sha256" + suffix).c_str(), sha256_bench, p)->Arg(64)->Arg(16384);
        if (provides(p, primitive::hkdf_sha256))
            benchmark::RegisterBenchmark(("hkdf_sha256_32B" + suffix).c_str(), hkdf, p);
        if (provides(p, primitive::hmac_sha256))
            benchmark::RegisterBenchmark(("hmac_sha256" + suffix).c_str(), hmac, p)->Arg(64)->Arg(1024)->Arg(16384);
        for (auto [a, name] : {std::pair{aead_algorithm::aes256_gcm, "aes256_gcm_seal"},
                               std::pair{aead_algorithm::chacha20_poly1305, "chacha20_poly1305_seal"},
                               std::pair{aead_algorithm::xchacha20_poly1305, "xchacha20_poly1305_seal"}})
            if (provides(p, to_primitive(a)))
                benchmark::RegisterBenchmark((name + suffix).c_str(), aead_seal, a, p)
                    ->Arg(64)->Arg(200)->Arg(1024)->Arg(16384)->Arg(1 << 20);
        if (provides(p, primitive::salsa20))
            benchmark::RegisterBenchmark(("xsalsa20" + suffix).c_str(), xsalsa20, p)->Arg(64)->Arg(200)->Arg(1024)->Arg(16384);
    }
    return true;
}();

}  // namespace
