// libFuzzer target for what the libp2p pieces parse from peers: peer ids (text and bytes), the
// key and noise-payload and Identify protobufs, multistream-select messages (and a dialer fed them
// as a host's answer), a yamux session fed the input in pieces, and a host connection fed the
// input as the plaintext behind pnet. The
// first input byte picks the parser (and the piece size).
// Build and run: scripts/fuzz (docs/reliability.md).
#include <sealed/libp2p/dialer.hpp>
#include <sealed/libp2p/host.hpp>
#include <sealed/libp2p/identify.hpp>

#include <cstddef>
#include <cstdint>

using namespace sealed;

namespace {

const libp2p::host_options& host() {
    static const libp2p::host_options options = [] {
        libp2p::host_options o;
        o.host = std::make_shared<const libp2p::identity>(
            crypto::ed25519_private_key::from_seed(bytes(32, 7)).value());
        o.noise_static = std::make_shared<const crypto::x25519_private_key>(
            crypto::x25519_private_key::from_bytes(bytes(32, 9)).value());
        return o;
    }();
    return options;
}

template <class Feed>
void in_pieces(const_bytes input, std::size_t piece, Feed feed) {
    for (std::size_t at = 0; at < input.size(); at += piece)
        if (!feed(input.subspan(at, std::min(piece, input.size() - at)))) return;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const const_bytes input(reinterpret_cast<const byte*>(data) + 1, size - 1);
    const std::size_t piece = data[0] / 8 % 32 + 1;
    switch (data[0] % 8) {
    case 0:
        (void)libp2p::peer_id::parse(as_string_view(input));
        (void)libp2p::peer_id::from_bytes(input);
        break;
    case 1:
        (void)libp2p::parse_public_key_protobuf(input);
        (void)libp2p::parse_private_key_protobuf(input);
        break;
    case 2:
        if (auto p = libp2p::parse_noise_payload(input)) (void)libp2p::verify_noise_payload(*p, host().noise_static->public_key());
        break;
    case 3: (void)libp2p::parse_identify(input); break;
    case 4: {
        libp2p::multistream::reader reader;
        in_pieces(input, piece, [&](const_bytes p) {
            reader.feed(p);
            for (;;) {
                auto m = reader.next();
                if (!m) return false;
                if (!*m) return true;
            }
        });
        libp2p::dialer_connection dialer;
        (void)dialer.start();
        in_pieces(input, piece, [&](const_bytes p) { return !dialer.on_bytes(p).error; });
        break;
    }
    case 5:
    case 6: {
        libp2p::yamux::session session(data[0] % 8 == 5);
        bytes out;
        std::vector<libp2p::yamux::event> events;
        in_pieces(input, piece, [&](const_bytes p) {
            out.clear();
            events.clear();
            if (session.on_bytes(p, out, events)) return false;
            for (const auto& e : events)
                if (e.what == libp2p::yamux::event::kind::data) session.consumed(e.stream, e.data.size(), out);
            return true;
        });
        break;
    }
    case 7: {
        libp2p::host_connection connection(host(), {});
        in_pieces(input, piece, [&](const_bytes p) { return !connection.on_bytes(p).error; });
        break;
    }
    }
    return 0;
}
