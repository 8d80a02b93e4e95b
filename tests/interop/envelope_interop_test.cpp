// The C++ envelope client against the Node reference server (bench/peers/envelope/server.mjs,
// node:crypto only) over real HTTP: the JWKS, signup/login/echo, and the server's refusals of a
// replay, a tampered envelope and a stale one as the client reads them.
#include <sealed/envelope/client.hpp>

#include <sealed_test/paths.hpp>
#include <sealed_test/process.hpp>
#include <sealed_test/run.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace {

using namespace sealed;

const std::string node = sealed_test::node();
const std::string reference_server = sealed_test::source_dir() + "/bench/peers/envelope/server.mjs";

TEST(envelope_interop, cpp_client_against_the_node_reference_server) {
    sealed_test::server_process server({node, reference_server, "--host", "127.0.0.1", "--port", "0"});
    ASSERT_NE(server.port, 0) << "the Node reference server did not start";
    const auto kid_line = server.process.read_line();
    ASSERT_TRUE(kid_line && kid_line->rfind("kid ", 0) == 0);
    net::io_context io;
    sealed_test::run(io, [&]() -> awaitable<void> {
        envelope::http_client client(io.get_executor(), "127.0.0.1", server.port);
        auto fetched = co_await client.async_fetch_keys();
        EXPECT_FALSE(fetched) << fetched.message();
        EXPECT_EQ(client.keys()[0].kid, kid_line->substr(4));

        auto created = co_await client.async_post("/api/signup", R"({"username":"zoe","password":"zoe's password"})");
        EXPECT_TRUE(created) << created.error().message();
        CO_ASSERT_TRUE(created);
        EXPECT_EQ(client.last_status(), 201u);
        EXPECT_EQ(created->text(), R"({"ok":true,"username":"zoe"})");
        auto login = co_await client.async_post("/api/login", R"({"username":"zoe","password":"zoe's password"})");
        CO_ASSERT_TRUE(login);
        EXPECT_EQ(login->text(), R"({"ok":true,"username":"zoe"})");
        auto wrong = co_await client.async_post("/api/login", R"({"username":"zoe","password":"not the password"})");
        CO_ASSERT_TRUE(wrong);  // an app error comes sealed
        EXPECT_EQ(client.last_status(), 401u);
        EXPECT_EQ(wrong->text(), R"({"ok":false,"error":"bad_credentials"})");

        // Bytes that are not JSON or UTF-8 come back unchanged.
        const std::string binary("\x00\x01\xfe\xff", 4);
        auto echoed = co_await client.async_post("/api/echo", binary);
        CO_ASSERT_TRUE(echoed);
        EXPECT_EQ(as_string_view(echoed->plaintext), binary);

        auto sealed = envelope::seal_request(client.keys()[0], as_bytes(std::string_view("once"))).value();
        auto first = co_await client.async_post_raw("/api/echo", sealed.body());
        CO_ASSERT_TRUE(first);
        EXPECT_EQ(first->status, 200u);
        EXPECT_EQ(as_string_view(sealed.open_response(first->body).value()), "once");
        auto replay = co_await client.async_post_raw("/api/echo", sealed.body());
        CO_ASSERT_TRUE(replay);
        EXPECT_EQ(replay->status, 409u);
        EXPECT_EQ(envelope::refusal_code(replay->body), "replayed_nonce");

        auto fresh = envelope::seal_request(client.keys()[0], as_bytes(std::string_view("tampered"))).value();
        auto o = boost::json::parse(fresh.body()).as_object();
        o["ts"] = o["ts"].as_int64() + 1;  // inside the window, but bound by the tag
        const std::string tampered = boost::json::serialize(o);
        auto refused = co_await client.async_post_raw("/api/echo", tampered);
        CO_ASSERT_TRUE(refused);
        EXPECT_EQ(refused->status, 401u);
        EXPECT_EQ(envelope::refusal_code(refused->body), "decrypt_failed");

        envelope::seal_overrides old;
        old.ts = envelope::to_timestamp(envelope::wall_clock::now() - std::chrono::seconds(120));
        auto stale = envelope::seal_request(client.keys()[0], as_bytes(std::string_view("stale")), old).value();
        auto late = co_await client.async_post_raw("/api/echo", stale.body());
        CO_ASSERT_TRUE(late);
        EXPECT_EQ(late->status, 401u);
        EXPECT_EQ(envelope::refusal_code(late->body), "stale_timestamp");
    }());
}

}  // namespace
