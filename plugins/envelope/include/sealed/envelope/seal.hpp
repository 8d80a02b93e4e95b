// Sealing and opening envelopes, both sides in one place: the client seals a request to a
// server key and opens the response; the server opens the request and seals the response.
// Pure functions of their inputs and the clock: no I/O (the replay check is the service's).
#pragma once

#include <sealed/envelope/keyring.hpp>
#include <sealed/envelope/wire.hpp>

#include <chrono>
#include <optional>

namespace sealed::envelope {

inline constexpr std::string_view request_info = "sealed envelope v1 request";
inline constexpr std::string_view response_info = "sealed envelope v1 response";

// Fixed values instead of fresh randomness and the clock: for test vectors only.
struct seal_overrides {
    const crypto::p256_private_key* ephemeral = nullptr;
    std::optional<std::array<byte, iv_size>> iv;
    std::optional<std::array<byte, nonce_size>> nonce;
    std::optional<std::uint64_t> ts;
};

// A sealed request, kept by the client until its response arrives.
class pending_request {
public:
    const std::string& body() const noexcept { return body_; }  // the envelope JSON to send
    const request_envelope& envelope() const noexcept { return envelope_; }
    // The response's plaintext; error::decrypt_failed when it is not this request's response.
    result<bytes> open_response(std::string_view response_json) const;

private:
    friend result<pending_request> seal_request(const server_public_key&, const_bytes, const seal_overrides&);
    request_envelope envelope_;
    std::string body_;
    secure_bytes response_key_;
};

result<pending_request> seal_request(const server_public_key& server, const_bytes plaintext,
                                     const seal_overrides& overrides = {});

struct open_options {
    std::chrono::milliseconds window{60'000};
};

// A request the server opened (checks 1–6 passed); the nonce check is still to come.
class opened_request {
public:
    const bytes& plaintext() const noexcept { return plaintext_; }
    const request_envelope& envelope() const noexcept { return envelope_; }
    // The response envelope JSON; `iv` only for test vectors.
    std::string seal_response(const_bytes plaintext, const std::optional<std::array<byte, iv_size>>& iv = {}) const;

private:
    friend result<opened_request> open_request(std::string_view, const keyring&, wall_clock::time_point,
                                               const open_options&);
    request_envelope envelope_;
    bytes plaintext_;
    secure_bytes response_key_;
};

// Checks in the documented order: well-formed, version, kid, time window, point, tag.
result<opened_request> open_request(std::string_view request_json, const keyring& keys, wall_clock::time_point now,
                                    const open_options& options = {});

// The milliseconds-since-epoch of a clock reading, as `ts` carries it.
std::uint64_t to_timestamp(wall_clock::time_point t) noexcept;

}  // namespace sealed::envelope
