// The envelope_api example as a user runs it, with the C++ envelope client over real HTTP:
// two processes sharing one redis-server refuse a replay across them; Redis stopped mid-test
// fails closed (503) while /health still answers, and Redis back serves again without a
// restart; keys rotated by the CLI while a client sends continuously fail no request.
#include <sealed/envelope/client.hpp>
#include <sealed/transport/websocket.hpp>

#include <sealed_test/paths.hpp>
#include <sealed_test/http.hpp>
#include <sealed_test/process.hpp>
#include <sealed_test/redis_server.hpp>
#include <sealed_test/run.hpp>
#include <sealed_test/temp_dir.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <random>
#include <set>
#include <thread>

namespace {

using namespace sealed;
namespace fs = std::filesystem;

const std::string binary = sealed_test::bin_dir() + "/envelope_api";

struct key_dir : sealed_test::temp_dir {
    key_dir() : temp_dir("sealed-envelope-test-") {}
};

struct api_process {
    sealed_test::server_process server;
    api_process(const key_dir& keys, const std::vector<std::string>& extra = {})
        : server(argv(keys, extra)) {}
    static std::vector<std::string> argv(const key_dir& keys, const std::vector<std::string>& extra) {
        std::vector<std::string> a{binary, "--listen", "127.0.0.1:0", "--key-dir", keys.path.string(), "--log-level", "warn"};
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }
    unsigned short port() const { return server.port; }
};

std::string key_command(const key_dir& keys, const std::vector<std::string>& args, const std::string& kid = {}) {
    std::vector<std::string> argv{binary};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--key-dir");
    argv.push_back(keys.path.string());
    if (!kid.empty()) {  // after `--`: a base64url kid starts with '-' one time in 64
        argv.push_back("--");
        argv.push_back(kid);
    }
    auto r = sealed_test::run_to_end(argv, 20000);
    EXPECT_EQ(r.exit_code, 0) << r.output();
    return r.output();
}

constexpr std::string_view echo_route = "/api/echo";

// The server listens before its Redis client has connected (it fails closed meanwhile), so a
// test that needs Redis up waits for /metrics to say so.
awaitable<bool> redis_connected(envelope::http_client& client) {
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto metrics = co_await client.async_get("/metrics");
        if (metrics && metrics->body.find("sealed_redis_state{state=\"connected\"} 1") != std::string::npos)
            co_return true;
        net::steady_timer pause(co_await net::this_coro::executor, std::chrono::milliseconds(50));
        co_await pause.async_wait(net::use_awaitable);
    }
    co_return false;
}

TEST(envelope_api_example, a_replay_is_refused_across_two_processes_sharing_redis) {
    sealed_test::redis_server redis;
    if (!redis.running()) GTEST_SKIP() << "redis-server is not installed";
    key_dir keys;
    api_process a(keys, {"--redis", redis.url()});
    api_process b(keys, {"--redis", redis.url()});
    ASSERT_NE(a.port(), 0);
    ASSERT_NE(b.port(), 0);
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        envelope::http_client to_a(io.get_executor(), "127.0.0.1", a.port());
        envelope::http_client to_b(io.get_executor(), "127.0.0.1", b.port());
        EXPECT_FALSE(co_await to_a.async_fetch_keys());
        EXPECT_FALSE(co_await to_b.async_fetch_keys());
        CO_ASSERT_TRUE(co_await redis_connected(to_a));
        CO_ASSERT_TRUE(co_await redis_connected(to_b));
        EXPECT_EQ(to_a.keys()[0].kid, to_b.keys()[0].kid);  // one key directory

        for (int i = 0; i < 5; ++i) {
            const std::string text = "once only " + std::to_string(i);
            auto sealed = envelope::seal_request(to_a.keys()[0], as_bytes(text)).value();
            auto& first = i % 2 ? to_b : to_a;
            auto& second = i % 2 ? to_a : to_b;
            auto accepted = co_await first.async_post_raw(echo_route, sealed.body());
            EXPECT_TRUE(accepted && accepted->status == 200);
            if (accepted) {
                EXPECT_EQ(as_string_view(sealed.open_response(accepted->body).value()), text);
            }
            auto replayed = co_await second.async_post_raw(echo_route, sealed.body());
            CO_ASSERT_TRUE(replayed);
            EXPECT_EQ(replayed->status, 409u);
            EXPECT_EQ(envelope::refusal_code(replayed->body), "replayed_nonce");
        }
    }());
}

// The in-memory store full of live nonces refuses (503 replay_store_unavailable: fail closed)
// rather than forget one, and /health still answers; a nonce is spent for every route, so the
// same envelope posted to a second route is a replay.
TEST(envelope_api_example, a_full_nonce_store_fails_closed_and_a_nonce_is_spent_for_every_route) {
    key_dir keys;
    api_process api(keys, {"--max-nonces", "3"});
    ASSERT_NE(api.port(), 0);
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        envelope::http_client client(io.get_executor(), "127.0.0.1", api.port());
        CO_ASSERT_FALSE(co_await client.async_fetch_keys());
        const auto& key = client.keys()[0];
        auto once = envelope::seal_request(key, as_bytes(R"({"username":"nobody","password":"12345678"})")).value();
        auto first = co_await client.async_post_raw(echo_route, once.body());
        CO_ASSERT_TRUE(first);
        EXPECT_EQ(first->status, 200u);
        auto other_route = co_await client.async_post_raw("/api/login", once.body());
        CO_ASSERT_TRUE(other_route);
        EXPECT_EQ(other_route->status, 409u);
        EXPECT_EQ(envelope::refusal_code(other_route->body), "replayed_nonce");

        for (int i = 0; i < 2; ++i) {  // nonces 2 and 3 fill the store
            auto fresh = co_await client.async_post(echo_route, "fills the store");
            EXPECT_TRUE(fresh) << (fresh ? "" : fresh.error().message());
        }
        auto full = co_await client.async_post_raw(
            echo_route, envelope::seal_request(key, as_bytes("one too many")).value().body());
        CO_ASSERT_TRUE(full);
        EXPECT_EQ(full->status, 503u);
        EXPECT_EQ(envelope::refusal_code(full->body), "replay_store_unavailable");
        auto health = co_await client.async_get("/health");
        CO_ASSERT_TRUE(health);
        EXPECT_EQ(health->status, 200u);
    }());
}

// Over WebSocket, a frame over the body limit is answered body_too_large and the socket stays
// open; one over the frame limit (16 times the body limit, at least --max-message-size, 1 MiB)
// is not read at all: close 1009, and others are served.
TEST(envelope_api_example, a_websocket_frame_far_over_the_body_limit_closes_with_1009) {
    key_dir keys;
    api_process api(keys, {"--body-limit", "1024"});
    ASSERT_NE(api.port(), 0);
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        envelope::http_client client(io.get_executor(), "127.0.0.1", api.port());
        CO_ASSERT_FALSE(co_await client.async_fetch_keys());
        const auto target = url::parse("ws://127.0.0.1:" + std::to_string(api.port()) + "/api/echo").value();
        const transport::websocket_options opts;
        auto big = co_await transport::async_connect_ws(io.get_executor(), target, opts);
        CO_ASSERT_TRUE(big);
        const std::string over(2 * 1024, 'x');  // over the limit, under 16 times it
        CO_ASSERT_FALSE(co_await big->async_write(as_bytes(over), message_kind::text));
        message_buffer reply;
        CO_ASSERT_FALSE(co_await big->async_read(reply));
        EXPECT_EQ(envelope::refusal_code(std::string(reply.text())), "body_too_large");
        const std::string far_over(2 * 1024 * 1024, 'x');
        EXPECT_FALSE(co_await big->async_write(as_bytes(far_over), message_kind::text));
        EXPECT_TRUE(co_await big->async_read(reply));
        CO_ASSERT_TRUE(big->peer_close_reason());
        EXPECT_EQ(big->peer_close_reason()->code, close_code::too_big);
        auto served = co_await client.async_post(echo_route, "still served");
        CO_ASSERT_TRUE(served);
        EXPECT_EQ(served->text(), "still served");
    }());
}

// Hardening round 2, item 7: anyone can seal a login, and each costs Argon2id on one worker. Past
// --max-pending-hashes the rest are answered 503 busy with Retry-After at once, not queued, and a
// real login after the burst is served.
TEST(envelope_api_example, logins_past_the_hashing_bound_are_busy_with_retry_after) {
    key_dir keys;
    api_process api(keys, {"--max-pending-hashes", "2"});
    ASSERT_NE(api.port(), 0);
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        envelope::http_client client(io.get_executor(), "127.0.0.1", api.port());
        CO_ASSERT_FALSE(co_await client.async_fetch_keys());
        const auto key = client.keys()[0];
        auto signup = co_await client.async_post("/api/signup", R"({"username":"alice","password":"right horse"})");
        CO_ASSERT_TRUE(signup);
        EXPECT_EQ(signup->status, 201u);

        auto statuses = std::make_shared<std::vector<unsigned>>();
        auto retry_after = std::make_shared<std::vector<std::string>>();
        const int burst = 12;
        for (int i = 0; i < burst; ++i) {
            http_request req{http::verb::post, "/api/login", 11};
            req.set(http::field::content_type, "application/json");
            req.body() = envelope::seal_request(key, as_bytes(R"({"username":"alice","password":"not the right one"})")).value().body();
            net::co_spawn(io, [req, port = api.port(), statuses, retry_after]() -> awaitable<void> {
                auto res = co_await sealed_test::http_exchange(port, req);
                statuses->push_back(res.result_int());
                if (res.result_int() == 503) retry_after->push_back(std::string(res[http::field::retry_after]));
            }, net::detached);
        }
        for (int i = 0; i < 1000 && statuses->size() < burst; ++i) co_await sealed_test::sleep_for(std::chrono::milliseconds(10));
        CO_ASSERT_TRUE(statuses->size() == std::size_t(burst));
        const auto busy = std::count(statuses->begin(), statuses->end(), 503u);
        EXPECT_GE(busy, 1) << "every login queued behind the others";
        EXPECT_GE(std::count(statuses->begin(), statuses->end(), 401u), 2);
        EXPECT_EQ(busy + std::count(statuses->begin(), statuses->end(), 401u), burst);
        for (const auto& value : *retry_after) EXPECT_EQ(value, "1");

        auto login = co_await client.async_post("/api/login", R"({"username":"alice","password":"right horse"})");
        CO_ASSERT_TRUE(login);
        EXPECT_EQ(login->status, 200u);
    }(), std::chrono::seconds(60));
}

TEST(envelope_api_example, redis_down_fails_closed_and_redis_back_serves_again) {
    sealed_test::redis_server redis;
    if (!redis.running()) GTEST_SKIP() << "redis-server is not installed";
    key_dir keys;
    // --window 2: nonces live 4 s, and Redis coming back empty is refused for those 4 s.
    api_process api(keys, {"--redis", redis.url(), "--window", "2"});
    ASSERT_NE(api.port(), 0);
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        envelope::http_client client(io.get_executor(), "127.0.0.1", api.port());
        EXPECT_FALSE(co_await client.async_fetch_keys());
        CO_ASSERT_TRUE(co_await redis_connected(client));
        auto ok = co_await client.async_post(echo_route, "before");
        EXPECT_TRUE(ok) << ok.error().message();

        redis.stop();
        for (int i = 0; i < 3; ++i) {
            auto refused = co_await client.async_post(echo_route, "while redis is down");
            CO_ASSERT_FALSE(refused);
            EXPECT_EQ(refused.error(), envelope::error::replay_store_unavailable);
            EXPECT_EQ(client.last_status(), 503u);
            auto health = co_await client.async_get("/health");
            EXPECT_TRUE(health && health->status == 200 && health->body == "ok");
            EXPECT_FALSE(co_await client.async_fetch_keys());  // keys are still published
        }

        EXPECT_TRUE(redis.start());
        // The client reconnects with backoff, the empty Redis is refused for one nonce lifetime
        // (4 s): within 10 s requests succeed again.
        bool served = false;
        for (int attempt = 0; attempt < 100 && !served; ++attempt) {
            auto again = co_await client.async_post(echo_route, "after");
            served = again.has_value();
            if (!served) {
                EXPECT_EQ(again.error(), envelope::error::replay_store_unavailable);
                net::steady_timer pause(io, std::chrono::milliseconds(100));
                co_await pause.async_wait(net::use_awaitable);
            }
        }
        EXPECT_TRUE(served) << "still refused 10 s after redis came back";
    }(), std::chrono::seconds(60));
}

TEST(envelope_api_example, keys_rotated_under_continuous_load_fail_no_request) {
    key_dir keys;
    api_process api(keys);
    ASSERT_NE(api.port(), 0);
    std::atomic<bool> rotated{false};
    std::string old_kid, new_kid;
    std::thread operator_thread;  // the operator runs the CLI while clients send
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        envelope::http_client client(io.get_executor(), "127.0.0.1", api.port());
        EXPECT_FALSE(co_await client.async_fetch_keys());
        old_kid = client.keys()[0].kid;
        // Sealed to the old key now, sent only after the rotation: in flight across it.
        auto in_flight = envelope::seal_request(client.keys()[0], as_bytes(std::string_view("in flight"))).value();

        operator_thread = std::thread([&] {
            key_command(keys, {"add-next"});
            std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // clients see next
            key_command(keys, {"rotate", "--grace", "60"});
            std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the server reloads
            rotated = true;
        });

        int sent = 0, failed = 0;
        std::set<std::string> kids_used;
        while (!rotated) {
            if (sent % 10 == 0) {  // clients refresh their keys
                EXPECT_FALSE(co_await client.async_fetch_keys());
            }
            kids_used.insert(client.keys()[0].kid);
            const std::string text = "request " + std::to_string(sent);
            auto reply = co_await client.async_post(echo_route, text);
            ++sent;
            if (!reply || reply->text() != text) {
                ++failed;
                ADD_FAILURE() << "request " << sent << ": " << (reply ? reply->text() : reply.error().message());
            }
        }
        EXPECT_FALSE(co_await client.async_fetch_keys());
        new_kid = client.keys()[0].kid;
        kids_used.insert(new_kid);
        auto late = co_await client.async_post_raw(echo_route, in_flight.body());
        CO_ASSERT_TRUE(late);
        EXPECT_EQ(late->status, 200u) << late->body;
        EXPECT_EQ(failed, 0);
        EXPECT_GT(sent, 20);
        EXPECT_EQ(kids_used.size(), 2u);  // requests were sealed to both keys
        std::cout << sent << " requests across the rotation, " << failed << " failed\n";
    }(), std::chrono::seconds(60));
    if (operator_thread.joinable()) operator_thread.join();
    EXPECT_NE(old_kid, new_kid);
    // The operator's last step: the old key and its file go.
    key_command(keys, {"retire"}, old_kid);
}

}  // namespace
