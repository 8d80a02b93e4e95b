// The send queue as apps steer it (issue 31), over real loopback sockets: drop-oldest for lossy
// streams (server-wide or for one connection), and queued_bytes() with async_drain() for
// producers that must lose nothing and outrun their reader.
#include "runtime_fixture.hpp"

#include <sealed_test/http.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <string>

namespace {

using namespace runtime_fixture;

// Message i: its number, padded to `size` bytes.
bytes numbered(int i, std::size_t size) {
    auto text = std::to_string(i);
    text.resize(size, '.');
    return bytes(text.begin(), text.end());
}

int number_of(std::string_view text) { return std::stoi(std::string(text.substr(0, text.find('.')))); }

// Reads until message `last`; the numbers seen, in order (empty if the connection ended first).
awaitable<std::vector<int>> read_until(test_client::channel_type& ch, int last) {
    std::vector<int> seen;
    message_buffer in;
    while (seen.empty() || seen.back() != last) {
        if (co_await ch.async_receive(in)) co_return std::vector<int>{};
        seen.push_back(number_of(in.text()));
    }
    co_return seen;
}

constexpr int messages = 2000;
constexpr std::size_t message_size = 16 * 1024;

// Sends `messages` numbered messages as fast as it can, then waits for the client to leave.
awaitable<void> flood(connection_t& c, std::atomic<int>& done) {
    for (int i = 0; i < messages; ++i) {
        const auto m = numbered(i, message_size);
        if (co_await c.async_send(m)) break;
    }
    ++done;
    message_buffer in;
    co_await c.async_receive(in);
}

TEST(send_queue, drop_oldest_keeps_a_slow_reader_with_the_latest_messages_and_counts_what_went) {
    fixture f;
    f.cfg.send_queue_limit = 8;
    f.cfg.send_overflow = send_queue_overflow::drop_oldest;
    std::atomic<int> done{0};
    f.start([&](connection_t& c) { return flood(c, done); });
    run(f.io, [&]() -> awaitable<void> {
        auto slow = co_await f.connect("slow");
        CO_ASSERT_TRUE(slow);
        for (int i = 0; i < 500 && done == 0; ++i) co_await sleep_for(10ms);  // not reading meanwhile
        CO_ASSERT_TRUE(done.load() == 1);
        const auto seen = co_await read_until(*slow, messages - 1);
        CO_ASSERT_FALSE(seen.empty());  // the connection must stay open
        EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
        EXPECT_EQ(seen.back(), messages - 1) << "the newest message is never the one dropped";
        EXPECT_GT(f.srv->stats().dropped_send_queue.load(), 0u);
        EXPECT_EQ(seen.size() + f.srv->stats().dropped_send_queue.load(), static_cast<std::size_t>(messages))
            << "every message was either delivered or counted as dropped";
        EXPECT_EQ(f.srv->stats().closed_send_queue_full.load(), 0u);
        EXPECT_EQ(co_await sealed_test::node_metric(f.port, "sealed_dropped_total{reason=\"send_queue_oldest\"}"),
                  static_cast<long>(f.srv->stats().dropped_send_queue.load()));
    }(), 30s);
}

TEST(send_queue, one_connection_can_be_lossy_while_the_server_closes_slow_readers) {
    fixture f;
    f.cfg.send_queue_limit = 8;
    f.cfg.write_timeout = 2s;
    std::atomic<int> done{0};
    f.start([&](connection_t& c) {
        if (c.peer_id() == "lossy") c.set_send_queue(4, 1024 * 1024, send_queue_overflow::drop_oldest);
        return flood(c, done);
    });
    run(f.io, [&]() -> awaitable<void> {
        auto lossy = co_await f.connect("lossy");
        auto strict = co_await f.connect("strict");
        CO_ASSERT_TRUE(lossy && strict);
        for (int i = 0; i < 500 && done < 2; ++i) co_await sleep_for(10ms);
        CO_ASSERT_TRUE(done.load() == 2);
        EXPECT_EQ(f.srv->stats().closed_send_queue_full.load(), 1u) << "strict follows the server: closed";
        const auto seen = co_await read_until(*lossy, messages - 1);
        EXPECT_FALSE(seen.empty());
        EXPECT_EQ(seen.size() + f.srv->stats().dropped_send_queue.load(), static_cast<std::size_t>(messages));
    }(), 30s);
}

// A producer of 25 MiB against a 1 MiB bound: it waits for the queue to drain below 128 KiB
// whenever more than 512 KiB are queued, so nothing is dropped or closed and the queue stays low.
TEST(send_queue, async_drain_lets_a_producer_outrun_its_reader_without_loss) {
    fixture f;
    f.cfg.send_queue_bytes = 1024 * 1024;
    constexpr int count = 400;
    constexpr std::size_t size = 64 * 1024;
    std::size_t highest = 0;
    std::atomic<int> done{0};
    f.start([&](connection_t& c) -> awaitable<void> {
        for (int i = 0; i < count; ++i) {
            if (c.queued_bytes() > 512 * 1024 && co_await c.async_drain(128 * 1024)) break;
            const auto m = numbered(i, size);
            if (co_await c.async_send(m)) break;
            highest = std::max(highest, c.queued_bytes());
        }
        ++done;
        message_buffer in;
        co_await c.async_receive(in);
    });
    run(f.io, [&]() -> awaitable<void> {
        auto reader = co_await f.connect("reader");
        CO_ASSERT_TRUE(reader);
        std::vector<int> seen;
        message_buffer in;
        while (seen.size() < count) {
            if (co_await reader->async_receive(in)) break;
            seen.push_back(number_of(in.text()));
            if (seen.size() % 20 == 0) co_await sleep_for(2ms);  // a slow reader
        }
        EXPECT_EQ(seen.size(), static_cast<std::size_t>(count));
        EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
        EXPECT_EQ(done.load(), 1);
        EXPECT_LE(highest, 512 * 1024 + size);
        EXPECT_EQ(f.srv->stats().closed_send_queue_full.load(), 0u);
    }(), 30s);
}

TEST(send_queue, async_drain_ends_with_transport_closed_when_the_connection_closes) {
    fixture f;
    f.cfg.send_queue_bytes = 64 * 1024 * 1024;  // more than loopback's socket buffers take
    std::atomic<bool> ended_closed{false};
    f.start([&](connection_t& c) -> awaitable<void> {
        const auto m = numbered(0, 256 * 1024);
        while (c.queued_bytes() < 32 * 1024 * 1024)
            if (co_await c.async_send(m)) co_return;
        const auto ec = co_await c.async_drain(0);  // the client never reads; it closes
        ended_closed = ec == errc::transport_closed;
    });
    run(f.io, [&]() -> awaitable<void> {
        auto quiet = co_await f.connect("quiet");
        CO_ASSERT_TRUE(quiet);
        co_await sleep_for(200ms);
        auto& socket = beast::get_lowest_layer(quiet->transport().native()).socket();
        socket.close();
        for (int i = 0; i < 500 && !ended_closed; ++i) co_await sleep_for(10ms);
        EXPECT_TRUE(ended_closed.load());
    }(), 30s);
}

}  // namespace
