// libFuzzer target for what PSK-pnet parses from files and the network: PSK files, master
// secret files, DIDs and /swarm/{DID} request targets, and the swarm's multistream-select
// session fed the decrypted stream in pieces. The first input byte picks the parser.
// Build and run: scripts/fuzz (docs/reliability.md).
#include <sealed/pnet/scheme.hpp>
#include <sealed/pnet/swarm.hpp>

#include <cstddef>
#include <cstdint>

using namespace sealed;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const const_bytes input(reinterpret_cast<const byte*>(data) + 1, size - 1);
    switch (data[0] % 4) {
    case 0:
        (void)pnet::parse_psk_file(input);
        break;
    case 1:
        (void)pnet::parse_master_secret(as_string_view(input));
        break;
    case 2:
        (void)pnet::is_valid_did(as_string_view(input));
        (void)pnet::did_of(as_string_view(input), pnet::default_path_prefix);
        break;
    case 3: {  // the swarm, fed in pieces of (first byte % 16 + 1) bytes
        pnet::swarm_session swarm;
        const std::size_t piece = data[0] / 4 % 16 + 1;
        for (std::size_t at = 0; at < input.size(); at += piece) {
            auto out = swarm.on_bytes(input.subspan(at, std::min(piece, input.size() - at)));
            if (out.error) break;
        }
        break;
    }
    }
    return 0;
}
