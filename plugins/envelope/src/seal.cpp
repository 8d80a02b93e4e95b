#include <sealed/envelope/seal.hpp>

#include <sealed/crypto/aead.hpp>
#include <sealed/crypto/encoding.hpp>
#include <sealed/crypto/kdf.hpp>
#include <sealed/crypto/random.hpp>

namespace sealed::envelope {
namespace {

// Both directions' keys come from one ECDH secret, told apart by HKDF's info.
error_code derive(const secure_bytes& shared, const_bytes epk, std::string_view info, secure_bytes& key) {
    key.resize(crypto::aead::key_size);
    return crypto::hkdf_sha256(shared, epk, as_bytes(info), key);
}

}  // namespace

std::uint64_t to_timestamp(wall_clock::time_point t) noexcept {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    return ms < 0 ? 0 : static_cast<std::uint64_t>(ms);
}

result<pending_request> seal_request(const server_public_key& server, const_bytes plaintext,
                                     const seal_overrides& overrides) {
    std::optional<crypto::p256_private_key> fresh;
    if (!overrides.ephemeral) fresh.emplace(crypto::p256_private_key::generate());
    const auto& ephemeral = overrides.ephemeral ? *overrides.ephemeral : *fresh;

    pending_request out;
    auto& e = out.envelope_;
    e.kid = server.kid;
    const auto epk = ephemeral.public_key().bytes();
    e.epk.assign(epk.begin(), epk.end());
    e.iv = overrides.iv ? *overrides.iv : crypto::random_array<iv_size>();
    const auto nonce = overrides.nonce ? *overrides.nonce : crypto::random_array<nonce_size>();
    e.nonce = crypto::base64_encode(nonce);
    e.ts = overrides.ts ? *overrides.ts : to_timestamp(wall_clock::now());

    auto shared = ephemeral.agree(server.key);
    if (!shared) return shared.error();
    secure_bytes request_key;
    if (auto ec = derive(*shared, e.epk, request_info, request_key)) return ec;
    if (auto ec = derive(*shared, e.epk, response_info, out.response_key_)) return ec;
    auto ct = crypto::aead_seal(crypto::aead_algorithm::aes256_gcm, request_key, e.iv,
                                as_bytes(request_aad(e.kid, e.ts, e.nonce)), plaintext);
    if (!ct) return ct.error();
    e.ct = std::move(*ct);
    out.body_ = serialize_request(e);
    return out;
}

result<bytes> pending_request::open_response(std::string_view response_json) const {
    auto response = parse_response(response_json);
    if (!response) return response.error();
    auto plain = crypto::aead_open(crypto::aead_algorithm::aes256_gcm, response_key_, response->iv,
                                   as_bytes(response_aad(envelope_.kid, envelope_.ts, envelope_.nonce)), response->ct);
    if (!plain) return make_error_code(error::decrypt_failed);
    return std::move(*plain);
}

result<opened_request> open_request(std::string_view request_json, const keyring& keys, wall_clock::time_point now,
                                    const open_options& options) {
    auto parsed = parse_request(request_json);
    if (!parsed) return parsed.error();
    auto& e = *parsed;
    if (e.version != protocol_version) return make_error_code(error::unsupported_version);
    const auto* key = keys.find(e.kid, now);
    if (!key) return make_error_code(error::unknown_kid);
    const auto now_ms = to_timestamp(now);
    const auto skew = now_ms > e.ts ? now_ms - e.ts : e.ts - now_ms;
    if (skew > static_cast<std::uint64_t>(options.window.count())) return make_error_code(error::stale_timestamp);
    auto epk = crypto::p256_public_key::from_sec1(e.epk);
    if (!epk) return make_error_code(error::invalid_public_key);
    auto shared = key->key.agree(*epk);
    if (!shared) return make_error_code(error::invalid_public_key);

    opened_request out;
    secure_bytes request_key;
    if (auto ec = derive(*shared, e.epk, request_info, request_key)) return ec;
    auto plain = crypto::aead_open(crypto::aead_algorithm::aes256_gcm, request_key, e.iv,
                                   as_bytes(request_aad(e.kid, e.ts, e.nonce)), e.ct);
    if (!plain) return make_error_code(error::decrypt_failed);
    if (auto ec = derive(*shared, e.epk, response_info, out.response_key_)) return ec;
    out.plaintext_ = std::move(*plain);
    out.envelope_ = std::move(e);
    return out;
}

std::string opened_request::seal_response(const_bytes plaintext, const std::optional<std::array<byte, iv_size>>& iv) const {
    response_envelope r;
    r.iv = iv ? *iv : crypto::random_array<iv_size>();
    auto ct = crypto::aead_seal(crypto::aead_algorithm::aes256_gcm, response_key_, r.iv,
                                as_bytes(response_aad(envelope_.kid, envelope_.ts, envelope_.nonce)), plaintext);
    // Sealing with a 32-byte key and a 12-byte iv cannot fail short of a broken provider.
    if (!ct) throw std::runtime_error("envelope: sealing the response failed: " + ct.error().message());
    r.ct = std::move(*ct);
    return serialize_response(r);
}

}  // namespace sealed::envelope
