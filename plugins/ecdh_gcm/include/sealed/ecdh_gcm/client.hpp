// The C++ client of the scheme: connects, authenticates, and speaks inner events
// ({"event","data"}) over the encrypted channel — used by the tests, the bench and native apps.
//
//   auto c = co_await ecdh_gcm::stream_client<ws>::connect(ex, "ws://host/stream", cfg, opts);
//   co_await c->emit("chat", data);        // sealed as an `encrypted` event
//   auto e = co_await c->next();           // the next inner event, opened
//
// Like the runtime's channels it allows one read and one write at a time. GCC 12: name JSON
// values before passing them to emit() inside a co_await (docs/decisions/0001).
#pragma once

#include <sealed/client.hpp>
#include <sealed/ecdh_gcm/scheme.hpp>

#include <boost/json/value.hpp>

#include <string>
#include <vector>

namespace sealed::ecdh_gcm {

template <class Family = ws>
class stream_client {
public:
    using client_type = sealed::client<Family, scheme>;
    using channel_type = typename client_type::channel_type;

    static awaitable<result<stream_client>> connect(net::any_io_executor ex, std::string_view url,
                                                    const client_config& cfg, const options& opts) {
        return do_connect(std::move(ex), std::string(url), cfg, opts);
    }

    explicit stream_client(channel_type channel) : channel_(std::move(channel)) {}

    // The client id the server gave this connection, and the user id it authenticated as.
    const std::string& id() const noexcept { return channel_.session_id(); }
    const std::string& user_id() const noexcept { return channel_.peer_id(); }
    bool encrypted() { return channel_.cipher().encrypted(); }

    awaitable<error_code> emit(std::string_view event, const boost::json::value& data) {
        outgoing_ = wire::make_frame(event, data);
        return channel_.async_send(as_bytes(outgoing_), message_kind::text);
    }
    awaitable<error_code> join(const std::vector<std::string>& rooms) { return rooms_event("join", rooms); }
    awaitable<error_code> leave(const std::vector<std::string>& rooms) { return rooms_event("leave", rooms); }
    // IGNIS closes with 4002 after 90 s without a message; an idle client sends these.
    awaitable<error_code> heartbeat() {
        outgoing_ = R"({"event":"heartbeat"})";
        return channel_.async_send(as_bytes(outgoing_), message_kind::text);
    }

    // The next event: inner events opened, the server's `error` events as they come.
    awaitable<result<wire::frame>> next() { return read_event(); }

    awaitable<void> close() { return channel_.async_close(closing_); }
    channel_type& channel() noexcept { return channel_; }

private:
    static awaitable<result<stream_client>> do_connect(net::any_io_executor ex, std::string url, client_config cfg,
                                                       options opts) {
        auto channel = co_await client_type::connect(std::move(ex), std::string_view(url), cfg, opts);
        if (!channel) co_return channel.error();
        co_return stream_client(std::move(*channel));
    }

    awaitable<error_code> rooms_event(std::string_view event, const std::vector<std::string>& rooms) {
        boost::json::array list;
        for (const auto& r : rooms) list.emplace_back(r);
        boost::json::object data;
        data["rooms"] = std::move(list);
        return emit(event, data);
    }

    awaitable<result<wire::frame>> read_event() {
        if (auto ec = co_await channel_.async_receive(incoming_)) co_return ec;
        co_return wire::parse_frame(incoming_.text());
    }

    channel_type channel_;
    std::string outgoing_;
    message_buffer incoming_;
    close_reason closing_{close_code::normal, "bye"};
};

}  // namespace sealed::ecdh_gcm
