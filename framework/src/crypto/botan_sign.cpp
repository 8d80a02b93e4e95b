// Botan's Ed25519 ("Pure": the message itself is signed, as libp2p and RFC 8032 §5.1 do).
#include "provider_impl.hpp"

#include <botan/ed25519.h>
#include <botan/pubkey.h>
#include <botan/system_rng.h>

#include <algorithm>

namespace sealed::crypto::detail::botan_provider {

namespace {

Botan::Ed25519_PrivateKey private_key(const_bytes seed) {
    return Botan::Ed25519_PrivateKey(Botan::secure_vector<uint8_t>(seed.begin(), seed.end()));
}

}  // namespace

void ed25519_public_from_seed(const_bytes seed, mutable_bytes out) {
    const auto key = private_key(seed);
    const auto& pub = key.get_public_key();
    if (pub.size() != out.size()) fatal("Botan Ed25519 public key size");
    std::copy(pub.begin(), pub.end(), out.begin());
}

void ed25519_sign(const_bytes seed, const_bytes message, mutable_bytes out) {
    const auto key = private_key(seed);
    Botan::PK_Signer signer(key, Botan::system_rng(), "Pure");
    const auto signature = signer.sign_message(message.data(), message.size(), Botan::system_rng());
    if (signature.size() != out.size()) fatal("Botan Ed25519 signature size");
    std::copy(signature.begin(), signature.end(), out.begin());
}

bool ed25519_verify(const_bytes public_key, const_bytes message, const_bytes signature) noexcept {
    try {
        const Botan::Ed25519_PublicKey key(public_key.data(), public_key.size());
        Botan::PK_Verifier verifier(key, "Pure");
        return verifier.verify_message(message.data(), message.size(), signature.data(), signature.size());
    } catch (...) {
        return false;
    }
}

}  // namespace sealed::crypto::detail::botan_provider
