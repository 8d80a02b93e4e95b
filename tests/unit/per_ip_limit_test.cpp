// max_connections_per_ip (issue 31): one address holds at most N upgrades at once; the next gets
// HTTP 429 with Retry-After before any upgrade, counted in /metrics; a slot comes back when one of
// its connections ends. Real sockets on loopback (from 127.0.0.1 and from 127.0.0.2).
#include "runtime_fixture.hpp"

#include <sealed_test/http.hpp>

#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <gtest/gtest.h>

namespace {

using namespace runtime_fixture;

TEST(per_ip_limit, an_address_holds_at_most_its_share_and_gets_429_past_it) {
    fixture f;
    f.cfg.max_connections_per_ip = 2;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        auto a = co_await f.connect("a");
        auto b = co_await f.connect("b");
        EXPECT_TRUE(a && b);
        auto c = co_await f.connect("c");
        EXPECT_FALSE(c) << "a third upgrade from 127.0.0.1 must be refused";
        const auto req = sealed_test::upgrade_request("/ws");
        auto res = co_await sealed_test::http_exchange(f.port, req);
        EXPECT_EQ(res.result(), http::status::too_many_requests);
        EXPECT_EQ(res[http::field::retry_after], "1");
        EXPECT_EQ(f.srv->stats().refused_per_ip, 2u);
        // Another address (a socket bound to 127.0.0.2) is not affected: it gets 101.
        net::ip::tcp::socket other(f.io);
        other.open(net::ip::tcp::v4());
        other.bind({net::ip::make_address("127.0.0.2"), 0});
        co_await other.async_connect({net::ip::make_address("127.0.0.1"), f.port}, net::use_awaitable);
        beast::tcp_stream stream(std::move(other));
        co_await http::async_write(stream, req, net::use_awaitable);
        beast::flat_buffer buffer;
        http::response<http::string_body> upgraded;
        co_await http::async_read(stream, buffer, upgraded, net::use_awaitable);
        EXPECT_EQ(upgraded.result(), http::status::switching_protocols);
        // One of 127.0.0.1's connections ends: its slot comes back.
        const close_reason bye{close_code::normal, "bye"};
        co_await a->async_close(bye);
        bool back = false;
        for (int i = 0; i < 100 && !back; ++i) {
            co_await sleep_for(20ms);
            auto e = co_await f.connect("e");
            back = e.has_value();
        }
        EXPECT_TRUE(back);
        // Each refusal counted (the retries above included).
        EXPECT_EQ(co_await sealed_test::node_metric(f.port, "sealed_connections_refused_total{reason=\"per_ip\"}"),
                  static_cast<long>(f.srv->stats().refused_per_ip));
    }());
}

TEST(per_ip_limit, is_off_by_default) {
    fixture f;
    f.start();
    run(f.io, [&]() -> awaitable<void> {
        std::vector<test_client::channel_type> held;
        for (int i = 0; i < 20; ++i) {
            auto c = co_await f.connect("n" + std::to_string(i));
            EXPECT_TRUE(c);
            if (c) held.push_back(std::move(*c));
        }
        EXPECT_EQ(f.srv->stats().refused_per_ip, 0u);
    }());
}

}  // namespace
