// Runs a plaintext echo over the in-memory transport: proves headers, libraries and the
// separate-compilation definitions all arrive through find_package(sealed).
#include <sealed/crypto/hash.hpp>
#include <sealed/crypto/encoding.hpp>
#include <sealed/plaintext/scheme.hpp>
#include <sealed/session.hpp>
#include <sealed/transport/memory.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <cstdio>

int main() {
    sealed::net::io_context io;
    bool ok = false;
    // Not a structured binding: clang 14 cannot capture one in a lambda.
    auto ends = sealed::transport::memory_stream::make_pair(io.get_executor());
    auto& a = ends.first;
    auto& b = ends.second;
    auto server = [&]() -> sealed::awaitable<void> {
        auto hs = sealed::plaintext::scheme::make_handshake(sealed::role::server, {});
        auto est = co_await sealed::run_handshake(b, hs, std::chrono::seconds(1));
        if (!est) co_return;
        sealed::secure_channel channel(std::move(b), std::move(*est));
        sealed::message_buffer in;
        if (!co_await channel.async_receive(in)) co_await channel.async_send(in.bytes());
    };
    auto client = [&]() -> sealed::awaitable<void> {
        auto hs = sealed::plaintext::scheme::make_handshake(sealed::role::client, {});
        auto est = co_await sealed::run_handshake(a, hs, std::chrono::seconds(1));
        if (!est) co_return;
        sealed::secure_channel channel(std::move(a), std::move(*est));
        const auto hello = sealed::as_bytes("hello");
        if (co_await channel.async_send(hello)) co_return;
        sealed::message_buffer in;
        ok = !co_await channel.async_receive(in) && in.text() == "hello";
    };
    boost::asio::co_spawn(io, server(), boost::asio::detached);
    boost::asio::co_spawn(io, client(), boost::asio::detached);
    io.run();
    auto digest = sealed::crypto::sha256(sealed::as_bytes("abc"));
    std::printf("echo %s, sha256(abc) = %s\n", ok ? "ok" : "FAILED", sealed::crypto::hex_encode(digest).c_str());
    return ok ? 0 : 1;
}
