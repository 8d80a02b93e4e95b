// libFuzzer target for what Noise parses: protocol names, and a Noise_XX responder fed the input
// as the initiator's handshake messages (each prefixed by a 2-byte length, as libp2p frames
// them). The responder's keys and payload are the cacophony XX vector's, so the seed corpus
// (that vector's messages) drives a complete handshake. The first input byte picks the parser.
// Build and run: scripts/fuzz (docs/reliability.md).
#include <sealed/crypto/encoding.hpp>
#include <sealed/noise/handshake_state.hpp>

#include <cstddef>
#include <cstdint>

using namespace sealed;

namespace {

crypto::x25519_private_key key(std::string_view hex) {
    return crypto::x25519_private_key::from_bytes(crypto::hex_decode(hex).value()).value();
}

void run_responder(const_bytes input) {
    static const auto protocol = noise::parse_protocol_name("Noise_XX_25519_ChaChaPoly_SHA256").value();
    noise::handshake_keys keys;
    static const auto responder_static = std::make_shared<const crypto::x25519_private_key>(
        key("4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893"));
    keys.local_static = responder_static;
    keys.prologue = crypto::hex_decode("4a6f686e2047616c74").value();
    const noise::ephemeral_source fixed = [] {
        return key("bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b");
    };
    auto responder = noise::handshake_state::create(protocol, role::server, std::move(keys), fixed).value();
    const auto payload = crypto::hex_decode("4d757272617920526f746862617264").value();
    bytes out;
    while (!responder.complete()) {
        out.clear();
        if (responder.my_turn()) {
            if (responder.write_message(payload, out)) return;
            continue;
        }
        if (input.size() < 2) return;
        const std::size_t size = std::min<std::size_t>((std::size_t{input[0]} << 8) | input[1], input.size() - 2);
        if (responder.read_message(input.subspan(2, size), out)) return;
        input = input.subspan(2 + size);
    }
    (void)responder.split();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const const_bytes input(reinterpret_cast<const byte*>(data) + 1, size - 1);
    if (data[0] % 2 == 0)
        (void)noise::parse_protocol_name(as_string_view(input));
    else
        run_responder(input);
    return 0;
}
