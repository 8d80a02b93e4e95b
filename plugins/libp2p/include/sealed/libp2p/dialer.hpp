// One libp2p connection as a dialer drives it, sans-I/O: host_connection's other side. Over the
// stream a dialer opened (after pnet, if any) it proposes `/noise` with the multistream header
// and its first Noise message in one write (as rust does), runs Noise XX with the libp2p payload,
// negotiates `/yamux/1.0.0` after it, then opens streams, each negotiated on its own, and answers
// the streams the remote opens for protocols it was told to accept. It answers yamux pings and
// gives windows back as data is handed out; what a stream carries is the caller's.
//
// sealed uses it to reach libp2p hosts (the gateway's tests and benchmarks, a sidecar of its own).
#pragma once

#include <sealed/libp2p/detail/secured_connection.hpp>
#include <sealed/libp2p/identity.hpp>
#include <sealed/libp2p/multistream.hpp>
#include <sealed/libp2p/secure_channel.hpp>
#include <sealed/libp2p/yamux.hpp>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sealed::libp2p {

struct dialer_options {
    std::shared_ptr<const identity> self;                            // null: a new identity
    std::shared_ptr<const crypto::x25519_private_key> noise_static;  // null: one per handshake
    std::optional<peer_id> expected_peer;                            // refuse any other host
    std::set<std::string> accept;  // protocol ids accepted on streams the host opens (others: na)
    yamux::limits yamux_limits;
};

struct stream_event {
    enum class kind : unsigned char {
        selected,  // our proposal was echoed: the stream carries `protocol`
        refused,   // the host answered na (the stream is closed)
        accepted,  // the host opened a stream for `protocol` and we echoed it
        data,
        closed,    // the host's FIN: it sends no more
        reset,
    } what;
    std::uint32_t stream = 0;
    std::string protocol;  // selected, refused, accepted: without the '\n'
    bytes data;
};

struct dialer_output {
    bytes to_write;
    error_code error;                       // the connection is over
    std::optional<peer_id> authenticated;  // set once, when noise proved the host
    std::vector<stream_event> events;
};

class dialer_connection : public detail::secured_connection<dialer_connection, dialer_output> {
public:
    using output = dialer_output;

    explicit dialer_connection(dialer_options options = {});
    // What the dialer writes first: header, `/noise` and Noise's first message.
    bytes start();
    // on_bytes(chunk): the host's bytes (secured_connection).
    bool ready() const noexcept { return phase_ == phase::streams; }
    const identity& self() const noexcept { return *options_.self; }

    // Once ready. A new stream proposing `protocol` (no '\n'); `early` data follows the proposal
    // in the same write (what js does for ping). Its fate comes as selected or refused.
    std::uint32_t open_stream(std::string_view protocol, const_bytes early, bytes& to_write);
    // errc::transport_closed (stream gone), errc::send_queue_full (the host's window is shut).
    error_code write(std::uint32_t stream, const_bytes data, bytes& to_write);
    void close(std::uint32_t stream, bytes& to_write);
    void reset(std::uint32_t stream, bytes& to_write);
    void go_away(bytes& to_write);
    // Bytes into the secure channel below the muxer, for a caller that writes yamux itself:
    // tests of what a host does with frames this session never writes (an overrun window).
    error_code write_below_muxer(const_bytes plaintext, bytes& to_write);

private:
    friend class detail::secured_connection<dialer_connection, dialer_output>;
    struct stream {
        multistream::negotiation_reader reader;
        std::string protocol;  // ours: proposed; theirs: accepted
        bool inbound = false;
        bool header_sent = false;  // theirs: our header goes with the first answer
        bool negotiated = false;
    };

    void negotiate_security(const_bytes chunk, output& out);
    void on_secured(output& out);
    void on_plaintext(const_bytes plaintext, output& out);
    void on_stream_event(yamux::event& e, bytes& frames, output& out);
    void on_stream_data(std::uint32_t id, stream& s, bytes data, bytes& frames, output& out);
    bool negotiate(std::uint32_t id, stream& s, bytes& frames, output& out);

    dialer_options options_;
    std::map<std::uint32_t, stream> streams_;
};

}  // namespace sealed::libp2p
