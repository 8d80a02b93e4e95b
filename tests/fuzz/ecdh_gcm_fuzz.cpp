// libFuzzer target for everything ECDH-GCM parses from the network: the server's authenticate
// state machine, the keyed cipher's `open` (outer frame, base64, GCM) and the runtime's
// `inspect` of opened inner events. The first input byte picks the parser; the rest is the frame.
// Build and run: scripts/fuzz (docs/reliability.md).
#include <sealed/ecdh_gcm/scheme.hpp>

#include <cstddef>
#include <cstdint>

namespace {

using namespace sealed;

// One fixed key, so that `open` reaches AES-GCM for well-formed frames.
ecdh_gcm::cipher& keyed_server_cipher() {
    static auto keys = std::make_shared<ecdh_gcm::key_map>();
    static ecdh_gcm::cipher c = [] {
        auto key = keys->add("fuzz", secure_bytes(32, 0x42)).value();
        return ecdh_gcm::cipher(role::server, key);
    }();
    return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const const_bytes frame(reinterpret_cast<const byte*>(data) + 1, size - 1);
    switch (data[0] % 4) {
    case 0: {  // a server waiting for authenticate, fed one frame (and a second one if it reads on)
        ecdh_gcm::options opts;
        opts.require_encryption = (data[0] & 0x10) != 0;
        ecdh_gcm::handshake server(role::server, opts);
        (void)server.start();
        auto first = server.resume(frame);
        if (first.then == next_action<ecdh_gcm::cipher>::state::read) (void)server.resume(frame);
        break;
    }
    case 1: {
        message_buffer out;
        if (!keyed_server_cipher().open(frame, out)) (void)ecdh_gcm::scheme::inspect(out.bytes());
        break;
    }
    case 2:
        (void)ecdh_gcm::scheme::inspect(frame);
        break;
    case 3: {  // a client reading the server's `connected`
        ecdh_gcm::handshake client(role::client, {});
        (void)client.start();
        (void)client.resume(frame);
        break;
    }
    }
    return 0;
}
