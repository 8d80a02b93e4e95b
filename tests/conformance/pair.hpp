// A connected client channel and a server session that records what it receives and echoes it:
// over real loopback sockets for network families, over the in-process pipe for `memory`.
#pragma once

#include <sealed/client.hpp>
#include <sealed/server.hpp>
#include <sealed/transport/memory.hpp>

#include <sealed_test/tls.hpp>

#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>

#include <functional>

#include <chrono>
#include <memory>
#include <vector>

namespace sealed_test {

// The in-process family: both ends in this process, no sockets.
struct memory {};

struct server_record {
    bool established = false;
    bool finished = false;
    bool close_first = false;  // end the session right after the handshake
    sealed::error_code error;  // why the server's receive loop ended
    std::vector<sealed::bytes> received;
};

// The server side of every pair: echo each message until the channel fails, recording it all.
template <class Channel>
sealed::awaitable<void> record_and_echo(Channel& channel, std::shared_ptr<server_record> record) {
    record->established = true;
    if (record->close_first) {
        sealed::close_reason done{sealed::close_code::normal, "server done"};
        co_await channel.async_close(done);
        record->finished = true;
        co_return;
    }
    sealed::message_buffer in;
    for (;;) {
        if (auto ec = co_await channel.async_receive(in)) {
            record->error = ec;
            break;
        }
        record->received.emplace_back(in.bytes().begin(), in.bytes().end());
        if (auto ec = co_await channel.async_send(in.bytes(), in.kind())) {
            record->error = ec;
            break;
        }
    }
    record->finished = true;
}

// Polls `ready` every few ms, at most `limit`: tests wait for the server side this way.
// `ready` is taken by reference and callers pass a named object: GCC 12 can destroy
// non-trivial temporaries in a co_await expression twice.
inline sealed::awaitable<bool> eventually(const std::function<bool()>& ready,
                                         std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!ready()) {
        if (std::chrono::steady_clock::now() > deadline) co_return false;
        timer.expires_after(std::chrono::milliseconds(5));
        co_await timer.async_wait(boost::asio::use_awaitable);
    }
    co_return true;
}

// What both kinds of pair share: the record of the current connection's server side.
class recorded_server {
public:
    sealed::awaitable<bool> server_side_established() {
        const std::function<bool()> ready = [r = record_] { return r->established; };
        co_return co_await eventually(ready);
    }
    sealed::awaitable<sealed::error_code> server_side_error() {
        auto r = record_;
        const std::function<bool()> ready = [r] { return r->finished; };
        co_await eventually(ready);
        co_return r->error;
    }
    std::vector<sealed::bytes> server_received() const { return record_->received; }

protected:
    // A fresh record for the next connection.
    void reset(bool server_closes_first) {
        record_ = std::make_shared<server_record>();
        record_->close_first = server_closes_first;
    }
    std::shared_ptr<server_record> record_ = std::make_shared<server_record>();
};

template <class Case, class Family = typename Case::family>
class channel_pair : public recorded_server {
    using scheme = typename Case::scheme;
    using server_type = sealed::server<Family, scheme>;

public:
    using client_channel = typename sealed::client<Family, scheme>::channel_type;

    channel_pair(sealed::net::io_context& io, std::size_t max_message) : io_(io) {
        sealed::server_config cfg;
        cfg.listen = "127.0.0.1:0";
        cfg.max_message_size = max_message;
        cfg.handshake_timeout = std::chrono::seconds(5);
        if constexpr (Family::uses_tls) cfg.tls_context = shared_tls().server();
        server_ = std::make_unique<server_type>(io, cfg, Case::server_options());
        server_->on_session([this](typename server_type::connection_type& ch) {
            return record_and_echo(ch, record_);
        });
        auto bound = server_->start();
        EXPECT_TRUE(bound) << "server start: " << (bound ? "" : bound.error().message());
        if (bound) port_ = bound->port();
        client_cfg_.max_message_size = max_message;
        if constexpr (Family::uses_tls) client_cfg_.tls_context = shared_tls().client();
    }

    std::string url() const { return std::string(Family::url_scheme) + "://127.0.0.1:" + std::to_string(port_) + "/ws"; }

    sealed::awaitable<sealed::result<client_channel>> connect(bool server_closes_first = false) {
        reset(server_closes_first);
        auto target = url();
        co_return co_await sealed::client<Family, scheme>::connect(io_.get_executor(), target, client_cfg_,
                                                                   Case::client_options());
    }

    void stop() { server_->stop(); }

private:
    sealed::net::io_context& io_;
    std::unique_ptr<server_type> server_;
    sealed::client_config client_cfg_;
    std::uint16_t port_ = 0;
};

template <class Case>
class channel_pair<Case, memory> : public recorded_server {
    using scheme = typename Case::scheme;
    using cipher = sealed::cipher_of<scheme>;

public:
    using client_channel = sealed::secure_channel<sealed::transport::memory_stream, cipher>;

    channel_pair(sealed::net::io_context& io, std::size_t max_message) : io_(io), max_message_(max_message) {}

    sealed::awaitable<sealed::result<client_channel>> connect(bool server_closes_first = false) {
        using result_type = sealed::result<client_channel>;
        reset(server_closes_first);
        auto [client_end, server_end] = sealed::transport::memory_stream::make_pair(
            io_.get_executor(), {sealed::wire_limit_for<scheme>(max_message_)});
        boost::asio::co_spawn(io_, serve(std::move(server_end), record_, max_message_), boost::asio::detached);
        auto handshake = scheme::make_handshake(sealed::role::client, Case::client_options());
        auto est = co_await sealed::run_handshake(client_end, handshake, std::chrono::seconds(5));
        if (!est) co_return result_type(boost::system::in_place_error, est.error());
        co_return result_type(boost::system::in_place_value, std::move(client_end), std::move(*est),
                              sealed::channel_options{max_message_});
    }

    void stop() {}

private:
    static sealed::awaitable<void> serve(sealed::transport::memory_stream end, std::shared_ptr<server_record> record,
                                         std::size_t max_message) {
        auto handshake = scheme::make_handshake(sealed::role::server, Case::server_options());
        auto est = co_await sealed::run_handshake(end, handshake, std::chrono::seconds(5));
        if (!est) {
            record->error = est.error();
            record->finished = true;
            co_return;
        }
        sealed::secure_channel<sealed::transport::memory_stream, cipher> channel(
            std::move(end), std::move(*est), sealed::channel_options{max_message});
        co_await record_and_echo(channel, record);
    }

    sealed::net::io_context& io_;
    std::size_t max_message_;
};

}  // namespace sealed_test
