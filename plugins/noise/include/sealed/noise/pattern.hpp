// Noise handshake patterns (Noise spec rev 34, §7 and §9): the tokens, the pre-messages and the
// message patterns of a named handshake, with psk modifiers applied. A protocol name
// ("Noise_XX_25519_ChaChaPoly_SHA256") is parsed into its pieces the way snow and noise-c do;
// this build implements 25519, ChaChaPoly and SHA256.
#pragma once

#include <sealed/error.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace sealed::noise {

enum class token : unsigned char { e, s, ee, es, se, ss, psk };

struct message_pattern {
    bool from_initiator;
    std::vector<token> tokens;
};

struct handshake_pattern {
    std::string name;                     // "XX", "XXpsk3", "X1K1"
    std::vector<token> initiator_premessage;  // what the responder knows before (s)
    std::vector<token> responder_premessage;  // what the initiator knows before (s)
    std::vector<message_pattern> messages;
    std::size_t psk_count = 0;  // psk tokens, one pre-shared key each

    // Only the initiator sends (N, K, X): the responder never gets a sending cipher.
    bool one_way() const noexcept { return messages.size() == 1; }
};

// A base pattern from the spec (§7.4, §7.5, §18) with its modifiers ("psk0+psk2");
// errc::unsupported_algorithm for a name this build does not know.
result<handshake_pattern> find_pattern(std::string_view name);

struct protocol {
    std::string name;  // the full protocol name: hashed into h, so both sides must agree on it
    handshake_pattern pattern;
};

// "Noise_<pattern>_25519_ChaChaPoly_SHA256"; errc::unsupported_algorithm for another DH,
// cipher or hash, errc::invalid_argument when the name is not a Noise protocol name.
result<protocol> parse_protocol_name(std::string_view name);

}  // namespace sealed::noise
