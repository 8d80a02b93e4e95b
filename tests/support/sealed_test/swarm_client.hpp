// A dialer for the pnet swarm (plugins/pnet/swarm.hpp) for tests: the pnet channel, then
// multistream-select as dialer, then pings or tenant broadcasts.
#pragma once

#include <sealed/client.hpp>
#include <sealed/crypto/random.hpp>
#include <sealed/pnet/scheme.hpp>
#include <sealed/pnet/swarm.hpp>

#include <string>

namespace sealed_test {

template <class Family>
class swarm_client {
public:
    using channel_type = typename sealed::client<Family, sealed::pnet::scheme>::channel_type;

    static sealed::awaitable<sealed::result<swarm_client>> connect(sealed::net::any_io_executor ex, std::string url,
                                                                   sealed::pnet::psk key) {
        sealed::pnet::options opts;
        opts.key = std::move(key);
        const sealed::client_config cfg;
        auto channel = co_await sealed::client<Family, sealed::pnet::scheme>::connect(ex, std::string_view(url), cfg, opts);
        if (!channel) co_return channel.error();
        co_return swarm_client(std::move(*channel));
    }

    // Header and proposal; errc::protocol_violation unless the swarm answers both in kind.
    sealed::awaitable<sealed::error_code> select(std::string_view protocol) {
        sealed::bytes out;
        sealed::pnet::multistream::append_message(sealed::pnet::multistream::protocol_id, out);
        sealed::pnet::multistream::append_message(protocol, out);
        if (auto ec = co_await channel_.async_send(out)) co_return ec;
        for (std::string_view expected : {sealed::pnet::multistream::protocol_id, protocol}) {
            auto message = co_await next_message();
            if (!message) co_return message.error();
            if (*message != expected) co_return sealed::errc::protocol_violation;
        }
        raw_ = reader_.take_rest();
        co_return sealed::error_code{};
    }

    // One ping: 32 random bytes out, the same 32 back.
    sealed::awaitable<sealed::error_code> ping() {
        const auto sent = sealed::crypto::random_array<sealed::pnet::ping_size>();
        if (auto ec = co_await channel_.async_send(sent)) co_return ec;
        while (raw_.size() < sent.size()) {
            if (auto ec = co_await channel_.async_receive(in_)) co_return ec;
            raw_.insert(raw_.end(), in_.bytes().begin(), in_.bytes().end());
        }
        const bool same = std::equal(sent.begin(), sent.end(), raw_.begin());
        raw_.erase(raw_.begin(), raw_.begin() + sent.size());
        co_return same ? sealed::error_code{} : sealed::make_error_code(sealed::errc::decrypt_failed);
    }

    // Broadcast channel (after select(broadcast_protocol)).
    sealed::awaitable<sealed::error_code> say(std::string_view message) {
        sealed::bytes out;  // a coroutine, so `out` lives until the send is done
        sealed::pnet::multistream::append_message(message, out);
        co_return co_await channel_.async_send(out);
    }
    sealed::awaitable<sealed::result<std::string>> hear() { return next_message(); }

    channel_type& channel() noexcept { return channel_; }

private:
    explicit swarm_client(channel_type channel) : channel_(std::move(channel)) {}

    sealed::awaitable<sealed::result<std::string>> next_message() {
        for (;;) {
            auto message = reader_.next();
            if (!message) co_return message.error();
            if (*message) co_return std::move(**message);
            if (auto ec = co_await channel_.async_receive(in_)) co_return ec;
            reader_.feed(in_.bytes());
        }
    }

    channel_type channel_;
    sealed::pnet::multistream::reader reader_{sealed::pnet::max_broadcast};
    sealed::message_buffer in_;
    sealed::bytes raw_;
};

}  // namespace sealed_test
