// A native signaling client (tests, and peers that are not browsers): connects to a
// PeerJS-compatible broker — ours or npm `peer` — registers an id, and sends and receives the
// signaling frames. Over ws or wss: signaling::basic_client<sealed::wss>.
//   auto c = co_await signaling::client::connect(ex, {.port = 9000, .id = "alice", .token = "t1"});
//   co_await c->async_send({"OFFER", {}, "bob", payload});
#pragma once

#include <sealed/client.hpp>
#include <sealed/signaling/scheme.hpp>
#include <sealed/url.hpp>

#include <string>

namespace sealed::signaling {

struct client_options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 9000;
    std::string path = "/";
    std::string key = "peerjs";
    std::string id;         // empty: fetched from GET <path>/<key>/id is up to the caller
    std::string token;      // the client's secret for its id (peerjs: a random string)
    std::string api_token;  // sealed broker's --api-token, if it has one
    client_config config;
};

template <class Family>
class basic_client {
public:
    using channel_type = typename sealed::client<Family, scheme>::channel_type;

    // The ws[s]://host:port<path>peerjs?key=…&id=…&token=… the peerjs client opens.
    static std::string url_for(const client_options& o) {
        std::string path = o.path.empty() ? "/" : o.path;
        if (path.back() != '/') path.push_back('/');
        std::string u = std::string(Family::url_scheme) + "://" + o.host + ":" + std::to_string(o.port) + path +
                        "peerjs?key=" + percent_encode(o.key) + "&id=" + percent_encode(o.id) +
                        "&token=" + percent_encode(o.token);
        if (!o.api_token.empty()) u += "&apiToken=" + percent_encode(o.api_token);
        return u;
    }

    // Connects and waits for OPEN; a refusal is its error (error::id_taken, invalid_key, …).
    // A plain function forwarding to the coroutine (ADR-0001: no by-value coroutine parameters
    // made from temporaries); callers name the options they pass.
    static awaitable<result<basic_client>> connect(net::any_io_executor ex, const client_options& o) {
        return do_connect(std::move(ex), o);
    }

    // Sends one frame (src is set by the broker, whatever it says here).
    awaitable<error_code> async_send(const message& m) {
        const std::string frame = serialize(m);
        co_return co_await channel_.async_send(as_bytes(frame), message_kind::text);
    }
    awaitable<error_code> async_send_raw(std::string_view frame) {
        co_return co_await channel_.async_send(as_bytes(frame), message_kind::text);
    }
    awaitable<error_code> async_heartbeat() {
        const message beat{"HEARTBEAT", {}, {}, {}};
        co_return co_await async_send(beat);
    }
    // The next frame; error::malformed_message for one that does not parse (kept in last_raw()).
    awaitable<result<message>> async_receive() {
        in_.clear();
        if (auto ec = co_await channel_.async_receive(in_)) co_return ec;
        last_raw_ = std::string(as_string_view(in_.bytes()));
        co_return parse_message(last_raw_);
    }
    awaitable<void> async_close() {
        const close_reason bye{close_code::normal, ""};
        co_await channel_.async_close(bye);
    }

    const std::string& id() const noexcept { return id_; }
    const std::string& last_raw() const noexcept { return last_raw_; }
    channel_type& channel() noexcept { return channel_; }

private:
    static awaitable<result<basic_client>> do_connect(net::any_io_executor ex, client_options o) {
        const std::string target = url_for(o);
        auto channel = co_await sealed::client<Family, scheme>::connect(ex, std::string_view(target), o.config);
        if (!channel) co_return channel.error();
        co_return basic_client(std::move(*channel), o.id);
    }
    basic_client(channel_type channel, std::string id) : channel_(std::move(channel)), id_(std::move(id)) {}
    channel_type channel_;
    std::string id_;
    message_buffer in_;
    std::string last_raw_;
};

using client = basic_client<ws>;

}  // namespace sealed::signaling
