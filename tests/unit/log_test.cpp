// The injected logger: a value whose sink the app chooses; spdlog is only the default.
#include <sealed/log.hpp>
#include <sealed/managed_client.hpp>
#include <sealed/server.hpp>

#include <sealed_test/named_scheme.hpp>
#include <sealed_test/run.hpp>

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

namespace {

using namespace sealed;
using namespace std::chrono_literals;

// Lines a function sink received, as "component|level|message".
struct captured {
    std::mutex mutex;
    std::vector<std::string> lines;
    logger make(std::string component, log_level min) {
        return logger(std::move(component), min, [this](log_level level, std::string_view c, std::string_view m) {
            std::lock_guard lock(mutex);
            lines.push_back(std::string(c) + "|" + std::to_string(static_cast<int>(level)) + "|" + std::string(m));
        });
    }
    bool any_containing(std::string_view text) {
        std::lock_guard lock(mutex);
        for (const auto& l : lines)
            if (l.find(text) != std::string::npos) return true;
        return false;
    }
};

TEST(logger, a_function_sink_gets_formatted_lines_at_its_level_and_above) {
    captured got;
    const auto log = got.make("unit", log_level::info);
    log.debug("not {}", "this");
    log.info("connection {} ({}): {}", 7, "127.0.0.1:1", "closing");
    log.error("and {}", 2);
    ASSERT_EQ(got.lines.size(), 2u);
    EXPECT_EQ(got.lines[0], "unit|2|connection 7 (127.0.0.1:1): closing");
    EXPECT_EQ(got.lines[1], "unit|4|and 2");
    // named(): the same sink under another component.
    log.named("other").warn("w");
    EXPECT_EQ(got.lines.back(), "other|3|w");
}

TEST(logger, the_default_sink_follows_set_level_for_loggers_made_before_it) {
    const logger made_first("early");
    log::set_level(log_level::warn);
    EXPECT_FALSE(made_first.enabled(log_level::info));
    log::set_level(log_level::debug);
    EXPECT_TRUE(made_first.enabled(log_level::debug));
    log::set_level(log_level::info);
    EXPECT_FALSE(made_first.enabled(log_level::debug));
}

TEST(logger, the_server_and_the_managed_client_log_to_the_logger_they_were_given) {
    using scheme = sealed_test::named::scheme;
    captured got;
    net::io_context io;
    server_config cfg;
    cfg.listen = "127.0.0.1:0";
    auto srv = std::make_unique<server<ws, scheme>>(io, cfg, scheme::options{}, got.make("my-server", log_level::info));
    ASSERT_TRUE(srv->start());
    EXPECT_TRUE(got.any_containing("my-server|2|test-named over ws listening on 127.0.0.1:"));

    // A port nothing listens on: the client's "cannot connect" line goes to its own logger.
    net::ip::tcp::acceptor probe(io, {net::ip::make_address("127.0.0.1"), 0});
    const auto port = probe.local_endpoint().port();
    probe.close();
    reconnect_policy quick;
    quick.initial = 20ms;
    managed_client<ws, scheme> mc(io, "ws://127.0.0.1:" + std::to_string(port) + "/ws", client_config{},
                                  scheme::options{"alice"}, quick, got.make("my-client", log_level::info));
    mc.start();
    sealed_test::run(io, [&]() -> awaitable<void> {
        for (int i = 0; i < 200 && !got.any_containing("my-client|2|cannot connect to ws://127.0.0.1:"); ++i)
            co_await sealed_test::sleep_for(10ms);
        EXPECT_TRUE(got.any_containing("my-client|2|cannot connect to ws://127.0.0.1:"));
        co_await mc.async_stop();
    });
    srv->stop();
    sealed_test::drain(io);
}

}  // namespace
