// A libp2p dialer (sealed::libp2p::dialer_connection) driven over a channel that already did its
// pnet handshake: what the interop tests use to misbehave towards a real gateway in ways a js
// node never would (frames below the muxer, floods of streams).
#pragma once

#include <sealed/libp2p/dialer.hpp>
#include <sealed/session.hpp>

#include <algorithm>
#include <vector>

namespace sealed_test {

template <class Channel>
class libp2p_link {
public:
    explicit libp2p_link(Channel channel, sealed::libp2p::dialer_options options = {})
        : channel_(std::move(channel)), dialer_(std::move(options)) {}

    // Noise, then yamux: done once the dialer is ready (or the first error).
    sealed::awaitable<sealed::error_code> connect() {
        const auto first = dialer_.start();
        if (auto ec = co_await channel_.async_send(first)) co_return ec;
        while (!dialer_.ready())
            if (auto ec = co_await receive()) co_return ec;
        co_return sealed::error_code{};
    }

    // One read from the channel, fed to the dialer, its answer written; events collected.
    sealed::awaitable<sealed::error_code> receive() {
        sealed::bytes answer;
        auto ec = co_await receive_into(answer);
        if (!answer.empty())
            if (auto sent = co_await channel_.async_send(answer)) co_return sent;
        co_return ec;
    }
    // The same, the answer appended to `answers` for a caller whose writes are its own (one
    // writer per channel); it must send them before anything the dialer writes after them.
    sealed::awaitable<sealed::error_code> receive_into(sealed::bytes& answers) {
        if (auto ec = co_await channel_.async_receive(in_)) co_return ec;
        auto out = dialer_.on_bytes(in_.bytes());
        for (auto& e : out.events) events.push_back(std::move(e));
        answers.insert(answers.end(), out.to_write.begin(), out.to_write.end());
        co_return out.error;
    }

    // Reads until `done()` holds, or the first error.
    template <class Predicate>
    sealed::awaitable<sealed::error_code> receive_until(Predicate done) {
        while (!done())
            if (auto ec = co_await receive()) co_return ec;
        co_return sealed::error_code{};
    }

    sealed::awaitable<sealed::error_code> send(const sealed::bytes& wire) { return channel_.async_send(wire); }

    std::size_t count(sealed::libp2p::stream_event::kind what) const {
        return static_cast<std::size_t>(
            std::count_if(events.begin(), events.end(), [&](const auto& e) { return e.what == what; }));
    }

    sealed::libp2p::dialer_connection& dialer() noexcept { return dialer_; }
    Channel& channel() noexcept { return channel_; }
    std::vector<sealed::libp2p::stream_event> events;

private:
    Channel channel_;
    sealed::libp2p::dialer_connection dialer_;
    sealed::message_buffer in_;
};

}  // namespace sealed_test
