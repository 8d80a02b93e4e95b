// The driver for the schemes with a session over WebSocket (ECDH-GCM, HMAC-X25519, pnet and the
// plaintext ceiling): a session is the scheme's handshake, a round trip one sealed message each way.
#pragma once

#include "hold_idle.hpp"
#include "measure.hpp"

#include <sealed/client.hpp>
#include <sealed/ecdh_gcm/scheme.hpp>
#include <sealed/hmac_x25519/scheme.hpp>
#include <sealed/plaintext/scheme.hpp>
#include <sealed/pnet/swarm_client.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json.hpp>

#include <fstream>
#include <iterator>
#include <memory>

namespace loadgen {

using namespace sealed;

// What one round trip sends: raw bytes, for ECDH-GCM an `echo` inner event of that size, for
// HMAC-X25519 an `echo` envelope (its id is renewed per message: the server deduplicates ids).
template <class S>
bytes request_of(std::size_t size) {
    if constexpr (std::is_same_v<S, hmac_x25519::scheme>) {
        auto text = hmac_x25519::wire::serialize(hmac_x25519::wire::make_envelope(
            "echo", "loadgen", "", boost::json::object{{"data", ""}}));
        const auto filler = size > text.size() ? size - text.size() : 1;
        text.insert(text.find(R"("data":"")") + 8, std::string(filler, 'x'));
        return bytes(text.begin(), text.end());
    } else if constexpr (std::is_same_v<S, ecdh_gcm::scheme>) {
        const std::string head = R"({"event":"echo","data":")", tail = R"("})";
        const std::size_t filler = size > head.size() + tail.size() ? size - head.size() - tail.size() : 1;
        const std::string text = head + std::string(filler, 'x') + tail;
        return bytes(text.begin(), text.end());
    } else {
        return bytes(size, 'x');
    }
}

// The tenant's PSK for pnet: SHA-256(master secret ‖ the DID that ends the URL), as the gateways
// derive it.
result<pnet::psk> pnet_key_of(const settings& s) {
    std::ifstream in(s.master_secret_file);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    auto secret = pnet::parse_master_secret(text);
    if (!secret) return secret.error();
    return pnet::tenant_psk(*secret, s.url.substr(s.url.rfind('/') + 1));
}

template <class S>
typename S::options options_for([[maybe_unused]] const settings& s) {
    typename S::options o{};
    if constexpr (std::is_same_v<S, pnet::scheme>) o.key = s.pnet_key;
    if constexpr (std::is_same_v<S, ecdh_gcm::scheme>) o.token = "loadgen";
    if constexpr (std::is_same_v<S, hmac_x25519::scheme>) {
        // One node identity for the whole run, as a real node has.
        static const auto identity =
            std::make_shared<hmac_x25519::node_identity>(hmac_x25519::node_identity::generate("loadgen"));
        o.identity = identity;
    }
    return o;
}

// A fresh message id for HMAC-X25519 requests: the counter in hex over the uuid's first digits
// (an envelope starts {"id":"<uuid>", so the id is at a fixed offset).
template <class S>
void renew_id(bytes& request, std::uint64_t counter) {
    if constexpr (std::is_same_v<S, hmac_x25519::scheme>) {
        static constexpr char hex[] = "0123456789abcdef";
        for (std::size_t i = 0; i < 16; ++i) request[7 + i] = static_cast<byte>(hex[(counter >> (4 * i)) & 0xF]);
    }
}

template <class S>
class driver {
public:
    using client_type = client<ws, S>;
    static constexpr bool is_pnet = std::is_same_v<S, pnet::scheme>;
    // What a worker holds: the channel, or for pnet the swarm dialer around it.
    using channel_type = std::conditional_t<is_pnet, pnet::swarm_client<ws>, typename client_type::channel_type>;

    driver(net::io_context& io, const settings& s) : io_(io), settings_(s), request_(request_of<S>(s.size)) {
        cfg_.ping_interval = std::chrono::hours(1);  // no keepalive traffic in the measurement
    }

    awaitable<result<channel_type>> connect() {
        const auto options = options_for<S>(settings_);
        auto channel = co_await client_type::connect(io_.get_executor(), std::string_view(settings_.url), cfg_, options);
        if constexpr (is_pnet) {
            if (!channel) co_return channel.error();
            pnet::swarm_client<ws> swarm(std::move(*channel));
            if (auto ec = co_await swarm.select(pnet::ping_protocol)) co_return ec;
            co_return std::move(swarm);
        } else {
            co_return std::move(channel);
        }
    }

    static auto& transport_of(channel_type& c) {
        if constexpr (is_pnet) return c.channel();
        else return c;
    }

    // Round trips until `until`; a reply that never comes is cut off shortly after it.
    awaitable<void> echo_worker(clock_type::time_point until) {
        using namespace net::experimental::awaitable_operators;
        auto channel = co_await connect();
        if (!channel) co_return totals_.error(channel.error());
        totals_.handshakes++;
        net::steady_timer cutoff(io_, until + std::chrono::seconds(2));
        auto outcome = co_await (round_trips(*channel, until) || cutoff.async_wait(net::as_tuple(net::use_awaitable)));
        if (outcome.index() == 1) totals_.error(errc::timeout);
    }

    awaitable<void> round_trips(channel_type& channel, clock_type::time_point until) {
        message_buffer reply;
        while (clock_type::now() < until) {
            const auto sent = clock_type::now();
            if constexpr (is_pnet) {
                if (auto ec = co_await channel.ping()) co_return totals_.error(ec);
            } else {
                renew_id<S>(request_, ++sequence_);
                if (auto ec = co_await channel.async_send(request_, message_kind::text)) co_return totals_.error(ec);
                if (auto ec = co_await channel.async_receive(reply)) co_return totals_.error(ec);
            }
            record(sent);
            totals_.messages++;
        }
        const close_reason bye{close_code::normal, "done"};
        co_await transport_of(channel).async_close(bye);
    }

    awaitable<void> handshake_worker(clock_type::time_point until) {
        while (clock_type::now() < until) {
            const auto started = clock_type::now();
            auto channel = co_await connect();
            if (!channel) {
                totals_.error(channel.error());
                continue;
            }
            record(started);
            totals_.handshakes++;
            const close_reason bye{close_code::normal, "done"};
            co_await transport_of(*channel).async_close(bye);
        }
    }

    awaitable<void> idle(server_usage& during) {
        return hold_idle<channel_type>(io_, settings_, totals_, during, [this] { return connect(); },
                                       [](channel_type& c) -> awaitable<void> {
                                           const close_reason bye{close_code::normal, "done"};
                                           co_await transport_of(c).async_close(bye);
                                       });
    }

    awaitable<sealed::error_code> prepare() { co_return sealed::error_code{}; }
    totals& measured() { return totals_; }

private:
    void record(clock_type::time_point since) { totals_.record(since); }

    net::io_context& io_;
    const settings& settings_;
    client_config cfg_;
    bytes request_;
    std::uint64_t sequence_ = 0;
    totals totals_;
};

}  // namespace loadgen
