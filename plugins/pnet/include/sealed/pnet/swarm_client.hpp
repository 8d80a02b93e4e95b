// A dialer for the swarm a gateway runs (serve.hpp, swarm.hpp): the pnet channel, then
// multistream-select as the dialer, then pings or the tenant's broadcasts.
//   auto node = co_await pnet::swarm_client<ws>::connect(ex, "wss://gw/swarm/did:web:a.example", psk);
//   co_await node->select(pnet::broadcast_protocol);
//   co_await node->say("hello, my tenant");
#pragma once

#include <sealed/client.hpp>
#include <sealed/crypto/random.hpp>
#include <sealed/pnet/scheme.hpp>
#include <sealed/pnet/swarm.hpp>

#include <algorithm>
#include <string>

namespace sealed::pnet {

template <class Family>
class swarm_client {
public:
    using channel_type = typename client<Family, scheme>::channel_type;

    // A channel already through the pnet handshake (connect() makes one).
    explicit swarm_client(channel_type channel) : channel_(std::move(channel)) {}

    // A plain function that copies what it is given into the coroutine it returns, as
    // client::connect does (ADR-0001: GCC 12 and temporaries in coroutine calls).
    static awaitable<result<swarm_client>> connect(net::any_io_executor ex, std::string_view url, const psk& key) {
        options opts;
        opts.key = key;
        return do_connect(std::move(ex), std::string(url), std::move(opts));
    }

    // Header and proposal; errc::protocol_violation unless the swarm answers both in kind.
    awaitable<error_code> select(std::string_view protocol) {
        bytes out;
        multistream::append_message(multistream::protocol_id, out);
        multistream::append_message(protocol, out);
        if (auto ec = co_await channel_.async_send(out)) co_return ec;
        for (std::string_view expected : {multistream::protocol_id, protocol}) {
            auto message = co_await next_message();
            if (!message) co_return message.error();
            if (*message != expected) co_return errc::protocol_violation;
        }
        raw_ = reader_.take_rest();
        co_return error_code{};
    }

    // One ping: 32 random bytes out, the same 32 back.
    awaitable<error_code> ping() {
        const auto sent = crypto::random_array<ping_size>();
        if (auto ec = co_await channel_.async_send(sent)) co_return ec;
        while (raw_.size() < sent.size()) {
            if (auto ec = co_await channel_.async_receive(in_)) co_return ec;
            raw_.insert(raw_.end(), in_.bytes().begin(), in_.bytes().end());
        }
        const bool same = std::equal(sent.begin(), sent.end(), raw_.begin());
        raw_.erase(raw_.begin(), raw_.begin() + sent.size());
        co_return same ? error_code{} : sealed::make_error_code(errc::decrypt_failed);
    }

    // Broadcast channel (after select(broadcast_protocol)).
    awaitable<error_code> say(std::string_view message) {
        bytes out;  // a coroutine, so `out` lives until the send is done
        multistream::append_message(message, out);
        co_return co_await channel_.async_send(out);
    }
    awaitable<result<std::string>> hear() { return next_message(); }

    channel_type& channel() noexcept { return channel_; }

private:
    static awaitable<result<swarm_client>> do_connect(net::any_io_executor ex, std::string url, options opts) {
        const client_config cfg;
        auto channel = co_await client<Family, scheme>::connect(ex, std::string_view(url), cfg, opts);
        if (!channel) co_return channel.error();
        co_return swarm_client(std::move(*channel));
    }

    awaitable<result<std::string>> next_message() {
        for (;;) {
            auto message = reader_.next();
            if (!message) co_return message.error();
            if (*message) co_return std::move(**message);
            if (auto ec = co_await channel_.async_receive(in_)) co_return ec;
            reader_.feed(in_.bytes());
        }
    }

    channel_type channel_;
    multistream::reader reader_{max_broadcast};
    message_buffer in_;
    bytes raw_;
};

}  // namespace sealed::pnet
