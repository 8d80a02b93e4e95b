// SMSG, the container every message travels in after the handshake (Borg's pkg/smsg inside an
// Enchantrix trix container; PROTOCOLS.md §3):
//   "SMSG" ‖ 0x02 ‖ u32be(header length) ‖ {"algorithm":"chacha20poly1305","version":"1.0"}
//   ‖ nonce(24) ‖ XChaCha20-Poly1305(key, nonce, inner ⊕ S, no AAD)
// key = SHA-256(base64(shared)); S = SHA-256(nonce ‖ u64be(0)) ‖ SHA-256(nonce ‖ u64be(1)) ‖ …;
// inner = {"body":"<envelope JSON as a string>","timestamp":<unix s>}.
// The XOR stream is keyed by the public nonce, so it hides nothing from anyone who can read the
// frame; secrecy and integrity come from the AEAD alone.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/crypto/aead.hpp>
#include <sealed/hmac_x25519/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace sealed::hmac_x25519::smsg {

inline constexpr std::string_view magic = "SMSG";
inline constexpr byte container_version = 0x02;
inline constexpr std::string_view header = R"({"algorithm":"chacha20poly1305","version":"1.0"})";
inline constexpr std::size_t nonce_size = 24;
inline constexpr std::size_t prefix_size = 4 + 1 + 4;  // magic, version, header length
inline constexpr std::size_t max_header_size = 16 * 1024 * 1024;  // trix's own bound
inline constexpr std::size_t overhead = prefix_size + header.size() + nonce_size + crypto::aead::tag_size;

// SHA-256 of the UTF-8 of base64(shared): the transport's SMSG "password", hashed as SMSG does.
secure_bytes derive_key(const_bytes shared);
// XORs `data` with S (Enchantrix's XOR pre-obfuscation); applying it twice restores `data`.
void apply_xor_stream(const_bytes nonce, mutable_bytes data);
// {"body":…,"timestamp":…} exactly as Go's json.Marshal writes it (HTML characters escaped).
void make_inner(std::string_view body, std::int64_t timestamp, std::string& out);
// The body of an inner message; error::invalid_payload unless it is {"body":"<non-empty>",…}.
error_code parse_inner(std::string_view inner, std::string& body);

// The frame's parts, checked as trix does (magic, version, header length and JSON object).
struct container {
    std::string_view header;
    const_bytes nonce;
    const_bytes sealed;  // ciphertext ‖ tag
};
result<container> parse_container(const_bytes frame);

// Seals and opens frames with one session key (keyed once; not thread-safe).
class codec {
public:
    static result<codec> create(const_bytes shared);

    // A random nonce and the current time.
    error_code seal(std::string_view body, message_buffer& out);
    // Fixed inputs, for test vectors.
    error_code seal(std::string_view body, const_bytes nonce, std::int64_t timestamp, message_buffer& out);
    // error::invalid_container, error::decrypt_failed or error::invalid_payload; `body` is the
    // envelope JSON. Nothing is left in `body` on failure.
    error_code open(const_bytes frame, std::string& body);
    // While the connection is quiet: frees the keyed context and the reused buffers.
    void release_idle_memory();

private:
    explicit codec(crypto::aead key) : key_(std::move(key)) {}
    crypto::aead key_;
    std::string inner_;     // reused: the inner JSON before obfuscation
    secure_bytes opened_;   // reused: the decrypted inner JSON
};

}  // namespace sealed::hmac_x25519::smsg
