// The typed suite every scheme instantiates (tests/conformance/<scheme>_conformance_test.cpp):
//   handshake completes both ways; messages round-trip in order (empty, 1 B, 64 KiB, max size);
//   tampered wire bytes are refused with an error and no plaintext; a closed peer is reported.
// A case names a transport family and a scheme:
//   struct my_case { using family = sealed::ws; using scheme = my::scheme;
//                    static my::scheme::options server_options(); client_options(); };
// family may be sealed_test::memory (in-process pipe) or any server<>/client<> family.
// Every scheme instantiates it but envelope and signaling, whose sessions are application
// protocols; not_applicable_test.cpp reports them as skipped, with the reason, in every run.
#pragma once

#include "pair.hpp"

#include <sealed_test/run.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

namespace sealed_test {

template <class Case>
class conformance : public ::testing::Test {
protected:
    using scheme = typename Case::scheme;
    static constexpr std::size_t max_message = 256 * 1024;  // the limit the suite configures

    sealed::net::io_context io;
    channel_pair<Case> pair{io, max_message};

    void TearDown() override {
        pair.stop();
        drain(io);
    }

    // A message of about n bytes: arbitrary bytes, or what the scheme's apps send (a Case with
    // message(n, seed) makes it, e.g. a JSON event for ECDH-GCM).
    static sealed::bytes pattern(std::size_t n, std::uint8_t seed) {
        if constexpr (requires { { Case::message(n, seed) } -> std::same_as<sealed::bytes>; }) {
            return Case::message(n, seed);
        } else {
            sealed::bytes b(n);
            std::iota(b.begin(), b.end(), seed);
            return b;
        }
    }
};

TYPED_TEST_SUITE_P(conformance);

TYPED_TEST_P(conformance, handshake_completes_both_ways) {
    run(this->io, [&]() -> sealed::awaitable<void> {
        auto client = co_await this->pair.connect();
        EXPECT_TRUE(client) << (client ? "" : client.error().message());
        EXPECT_TRUE(co_await this->pair.server_side_established());
    }());
}

TYPED_TEST_P(conformance, messages_round_trip_in_order) {
    run(this->io, [&]() -> sealed::awaitable<void> {
        auto client = co_await this->pair.connect();
        if (!client) co_return ADD_FAILURE() << client.error().message();
        const std::vector<sealed::bytes> messages = {
            this->pattern(0, 0), this->pattern(1, 7), this->pattern(64 * 1024, 1), this->pattern(this->max_message, 3)};
        for (const auto& m : messages)
            EXPECT_FALSE(co_await client->async_send(m)) << "send of " << m.size() << " bytes";
        sealed::message_buffer echo;
        for (const auto& m : messages) {
            auto ec = co_await client->async_receive(echo);
            EXPECT_FALSE(ec) << ec.message();
            EXPECT_EQ(echo.size(), m.size());
            EXPECT_TRUE(std::equal(m.begin(), m.end(), echo.bytes().begin(), echo.bytes().end()));
        }
        // The server saw them too, in order, before echoing.
        auto seen = this->pair.server_received();
        EXPECT_EQ(seen.size(), messages.size());
        for (std::size_t i = 0; i < std::min(seen.size(), messages.size()); ++i) EXPECT_EQ(seen[i], messages[i]);
    }());
}

TYPED_TEST_P(conformance, oversized_message_is_refused) {
    run(this->io, [&]() -> sealed::awaitable<void> {
        auto client = co_await this->pair.connect();
        if (!client) co_return ADD_FAILURE() << client.error().message();
        auto too_big = this->pattern(this->max_message + 1, 0);
        EXPECT_EQ(co_await client->async_send(too_big), sealed::errc::message_too_big);
        // Nothing was sent: the channel still works.
        auto one = this->pattern(10, 1);
        EXPECT_FALSE(co_await client->async_send(one));
        sealed::message_buffer echo;
        EXPECT_FALSE(co_await client->async_receive(echo));
        EXPECT_EQ(echo.size(), one.size());
    }());
}

TYPED_TEST_P(conformance, tampered_wire_bytes_are_refused) {
    if constexpr (!TypeParam::scheme::authenticates_messages) {
        GTEST_SKIP() << TypeParam::scheme::name << " declares no message authentication";
    } else {
        // Flip one bit in the first byte, the middle and the last byte, each on a fresh connection.
        for (int where = 0; where < 3; ++where) {
            channel_pair<TypeParam> fresh{this->io, this->max_message};
            run(this->io, [&]() -> sealed::awaitable<void> {
                auto client = co_await fresh.connect();
                if (!client) co_return ADD_FAILURE() << client.error().message();
                auto secret = this->pattern(100, 42);
                sealed::message_buffer wire;
                EXPECT_FALSE(client->cipher().seal(secret, wire));
                auto bytes = wire.mutable_view();
                std::size_t at = where == 0 ? 0 : where == 1 ? bytes.size() / 2 : bytes.size() - 1;
                bytes[at] ^= 0x01;
                EXPECT_FALSE(co_await client->transport().async_write(wire.bytes(), wire.kind()));
                // The server refuses it: it closes (the client sees the connection end), or — for
                // schemes that answer bad frames, like ECDH-GCM's error events — it answers with
                // a refusal. Either way the app never sees it.
                sealed::message_buffer reply;
                if (auto ec = co_await client->async_receive(reply)) {
                    auto error = co_await fresh.server_side_error();
                    EXPECT_TRUE(error) << "server accepted a tampered message";
                } else {
                    EXPECT_FALSE(std::equal(secret.begin(), secret.end(), reply.bytes().begin(), reply.bytes().end()))
                        << "tampered message was echoed";
                }
                EXPECT_TRUE(fresh.server_received().empty()) << "plaintext delivered from tampered bytes";
            }());
            fresh.stop();
        }
    }
}

TYPED_TEST_P(conformance, closed_peer_is_reported) {
    run(this->io, [&]() -> sealed::awaitable<void> {
        auto client = co_await this->pair.connect();
        if (!client) co_return ADD_FAILURE() << client.error().message();
        sealed::close_reason bye{sealed::close_code::normal, "bye"};
        co_await client->async_close(bye);
        auto error = co_await this->pair.server_side_error();
        EXPECT_TRUE(error == sealed::condition::transport_closed) << error.message();
        // And the other way: the server ends the session, the client's receive fails.
        auto second = co_await this->pair.connect(/*server_closes_first=*/true);
        if (!second) co_return ADD_FAILURE() << second.error().message();
        sealed::message_buffer in;
        auto ec = co_await second->async_receive(in);
        EXPECT_TRUE(ec == sealed::condition::transport_closed) << ec.message();
    }());
}

REGISTER_TYPED_TEST_SUITE_P(conformance, handshake_completes_both_ways, messages_round_trip_in_order,
                            oversized_message_is_refused, tampered_wire_bytes_are_refused,
                            closed_peer_is_reported);

}  // namespace sealed_test
