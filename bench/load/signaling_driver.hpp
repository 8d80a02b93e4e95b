// The driver for the signaling broker (PeerJS): a "handshake" is a socket that registers an id
// and waits for OPEN, then closes; a round trip is an OFFER relayed from one peer to another and
// its ANSWER relayed back (two relays, four frames through the broker), each carrying a payload
// of --size bytes; idle connections are registered peers that say nothing. Echo workers are
// pairs of peers, so an echo cell of N connections opens 2N sockets.
#pragma once

#include "hold_idle.hpp"
#include "measure.hpp"

#include <sealed/signaling/client.hpp>
#include <sealed/url.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

namespace loadgen {

using namespace sealed;

class signaling_driver {
public:
    signaling_driver(net::io_context& io, const settings& s, const url& target)
        : io_(io), settings_(s), filler_(s.size, 'x') {
        base_.host = target.host;
        base_.port = target.port;
        base_.path = target.target;
        base_.config.ping_interval = std::chrono::hours(1);  // no keepalive traffic in the measurement
    }

    awaitable<error_code> prepare() { co_return error_code{}; }

    awaitable<void> echo_worker(clock_type::time_point until) {
        using namespace net::experimental::awaitable_operators;
        auto offerer = co_await connect();
        auto answerer = co_await connect();
        if (!offerer || !answerer) co_return totals_.error(!offerer ? offerer.error() : answerer.error());
        totals_.handshakes += 2;
        net::steady_timer cutoff(io_, until + std::chrono::seconds(2));
        bool finished = false;  // set when the offers end, so the answerer's cancelled read is no error
        auto outcome = co_await ((offers(*offerer, answerer->id(), until, finished) || answers(*answerer, finished)) ||
                                 cutoff.async_wait(net::as_tuple(net::use_awaitable)));
        if (outcome.index() == 1) totals_.error(make_error_code(errc::timeout));
        co_await offerer->async_close();
        co_await answerer->async_close();
    }

    awaitable<void> handshake_worker(clock_type::time_point until) {
        while (clock_type::now() < until) {
            const auto started = clock_type::now();
            auto peer = co_await connect();
            if (!peer) {
                totals_.error(peer.error());
                continue;
            }
            totals_.record(started);
            totals_.handshakes++;
            co_await peer->async_close();
        }
    }

    awaitable<void> idle(server_usage& during) {
        return hold_idle<signaling::client>(io_, settings_, totals_, during, [this] { return connect(); },
                                            [](signaling::client& peer) { return peer.async_close(); });
    }

    totals& measured() { return totals_; }

private:
    // A fresh id per socket: the broker refuses an id that is still registered.
    awaitable<result<signaling::client>> connect() {
        auto options = base_;
        options.id = "lg" + std::to_string(++ids_);
        options.token = "t" + std::to_string(ids_);
        co_return co_await signaling::client::connect(io_.get_executor(), options);
    }

    // OFFER out, the ANSWER back is one round trip; ends at `until` or on the first failure.
    awaitable<void> offers(signaling::client& self, const std::string& to, clock_type::time_point until,
                           bool& finished) {
        const signaling::message offer{"OFFER", {}, to, boost::json::object{{"sdp", filler_}}};
        while (clock_type::now() < until) {
            const auto sent = clock_type::now();
            if (auto ec = co_await self.async_send(offer)) co_return totals_.error(ec);
            auto answer = co_await self.async_receive();
            if (!answer) co_return totals_.error(answer.error());
            if (answer->type != "ANSWER" || answer->src != to) co_return totals_.error("unexpected " + answer->type);
            totals_.record(sent);
            totals_.messages++;
        }
        finished = true;
    }

    // Answers every OFFER with its own payload, until the offerer's side ends the race.
    awaitable<void> answers(signaling::client& self, const bool& finished) {
        for (;;) {
            auto offer = co_await self.async_receive();
            if (!offer && finished) co_return;
            if (!offer) co_return totals_.error(offer.error());
            if (offer->type != "OFFER" || !offer->src) continue;
            const signaling::message answer{"ANSWER", {}, *offer->src, std::move(offer->payload)};
            if (auto ec = co_await self.async_send(answer)) co_return totals_.error(ec);
        }
    }

    net::io_context& io_;
    const settings& settings_;
    signaling::client_options base_;
    std::string filler_;
    std::uint64_t ids_ = 0;
    totals totals_;
};

}  // namespace loadgen
