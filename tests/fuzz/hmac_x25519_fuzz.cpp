// libFuzzer target for everything HMAC-X25519 parses from the network: the responder's
// handshake (the initiator's hello), the initiator's check of a handshake_ack, the SMSG
// container and the keyed cipher's `open` (container, XChaCha20-Poly1305, inner JSON), and the
// envelope parser. The first input byte picks the parser; the rest is the frame.
// Build and run: scripts/fuzz (docs/reliability.md).
#include <sealed/hmac_x25519/scheme.hpp>

#include <cstddef>
#include <cstdint>

namespace {

using namespace sealed;
namespace hx = sealed::hmac_x25519;

const hx::options& node() {
    static const hx::options o = [] {
        hx::options n;
        n.identity = std::make_shared<hx::node_identity>(
            hx::node_identity::from_private_key(bytes(32, 0x11), "fuzz").value());
        return n;
    }();
    return o;
}

// One fixed session key, so that well-formed frames reach the AEAD and the inner JSON.
hx::cipher& keyed_cipher() {
    static hx::cipher c(hx::smsg::codec::create(bytes(32, 0x42)).value());
    return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const const_bytes frame(reinterpret_cast<const byte*>(data) + 1, size - 1);
    switch (data[0] % 5) {
    case 0: {  // a responder fed a hello
        hx::handshake server(role::server, node());
        (void)server.start();
        (void)server.resume(frame);
        break;
    }
    case 1: {  // an initiator fed an ack
        hx::handshake client(role::client, node());
        (void)client.start();
        (void)client.resume(frame);
        break;
    }
    case 2:
        (void)hx::smsg::parse_container(frame);
        break;
    case 3: {
        message_buffer out;
        if (!keyed_cipher().open(frame, out)) (void)hx::wire::parse(out.text());
        break;
    }
    case 4:
        (void)hx::wire::parse(as_string_view(frame));
        (void)hx::scheme::message_id(frame);
        break;
    }
    return 0;
}
