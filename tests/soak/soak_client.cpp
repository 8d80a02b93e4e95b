// sealed_soak_client: mixed traffic for every scheme at once against sealed_soak_server, for
// --duration seconds. Each scheme gets --workers loops that pick, at random: a good session
// (6 in 10: handshake, 1–16 echoes of 16 B–16 KiB checked byte for byte, a clean close), an
// abrupt disconnect (1 in 10: mid-handshake or mid-session), or a bad input (3 in 10: one of
// the scheme's kinds from docs/reliability.md, which must get its documented refusal).
// The envelope also gets a replay probe (each served request sent again a few seconds later);
// with --slow-readers, ECDH-GCM and signaling get one slow-reader loop each for the whole run.
// Prints one JSON report; exit 1 when anything came back other than expected, or a loop hung.
//   sealed_soak_client --work-dir DIR --duration 600
#include "http_drivers.hpp"

#include <sealed/log.hpp>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <CLI/CLI.hpp>

#include <iostream>

namespace soak {

boost::json::object tally::to_json() const {
    auto as_object = [](const std::map<std::string, std::uint64_t>& m) {
        boost::json::object o;
        for (const auto& [k, v] : m) o[k] = v;
        return o;
    };
    boost::json::object firsts;
    for (const auto& [k, v] : first_unexpected) firsts[k] = v;
    return {{"handshakes", as_object(handshakes)}, {"messages", as_object(messages)},
            {"disconnects", as_object(disconnects)}, {"refused", as_object(refused)},
            {"unexpected", as_object(unexpected)}, {"first_unexpected", firsts}};
}

template <class Driver>
awaitable<void> worker(Driver& d, clock_type::time_point until, int& running) {
    while (clock_type::now() < until) {
        const auto roll = d.ctx.pick(10);
        try {
            if (roll < 6) {
                co_await d.good();
            } else if (roll < 7) {
                co_await d.drop();
            } else {
                const auto kind = Driver::bad_kinds[d.ctx.pick(Driver::bad_kinds.size())];
                auto wrong = co_await d.bad(kind);
                if (wrong)
                    d.ctx.counts.failure(Driver::name, kind, *wrong);
                else
                    d.ctx.counts.refusal(Driver::name, kind);
            }
        } catch (const std::exception& e) {  // a use_awaitable operation that threw
            d.ctx.counts.failure(Driver::name, "exception", e.what());
        }
    }
    --running;
}

// One more loop for the schemes that relay to readers: a client that never reads what it is
// sent, over and over, through the whole run, so RSS is judged with slow readers at work.
template <class Driver>
awaitable<void> slow_reader_loop(Driver& d, clock_type::time_point until, int& running) {
    while (clock_type::now() < until) {
        try {
            if (auto wrong = co_await d.slow_reader())
                d.ctx.counts.failure(Driver::name, "slow_reader", *wrong);
            else
                d.ctx.counts.refusal(Driver::name, "slow_reader");
        } catch (const std::exception& e) {
            d.ctx.counts.failure(Driver::name, "exception", e.what());
        }
        co_await sleep_for(std::chrono::milliseconds(500));
    }
    --running;
}

// The envelope's replay probe, every 100 ms for the whole run.
awaitable<void> replay_probe_loop(envelope_driver& d, clock_type::time_point until, int& running) {
    std::deque<envelope_driver::served_request> served;
    while (clock_type::now() < until) {
        try {
            if (auto wrong = co_await d.replay_probe(served)) d.ctx.counts.failure(envelope_driver::name, "replay_probe", *wrong);
        } catch (const std::exception& e) {
            d.ctx.counts.failure(envelope_driver::name, "exception", e.what());
        }
        co_await sleep_for(std::chrono::milliseconds(100));
    }
    --running;
}

// Out of descriptors (--fd-pressure): every 20 s, 1 100 idle connections to each of three
// servers, more than the server process's open-file limit (scripts/soak sets it to 2 300),
// held 2 s and closed. The accept loops wait instead of spinning; the other loops keep
// connecting meanwhile and their sessions only take longer. After each round every hogged
// server must answer GET /metrics within 3 s.
awaitable<bool> answers_metrics(context& ctx, std::uint16_t port) {
    namespace http = sealed::http;
    constexpr auto nothrow = sealed::net::as_tuple(sealed::net::use_awaitable);
    sealed::beast::tcp_stream s(ctx.io);
    s.expires_after(3s);
    const sealed::tcp_endpoint to{sealed::net::ip::make_address("127.0.0.1"), port};
    auto [cec] = co_await s.async_connect(to, nothrow);
    http::request<http::empty_body> req{http::verb::get, "/metrics", 11};
    req.set(http::field::host, "127.0.0.1");
    auto [wec, wn] = co_await http::async_write(s, req, nothrow);
    sealed::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    auto [rec, rn] = co_await http::async_read(s, buffer, res, nothrow);
    co_return !cec && !wec && !rec && res.result_int() == 200;
}

awaitable<void> fd_pressure_loop(context& ctx, clock_type::time_point until, int& running) {
    const std::array<std::string, 3> targets{"ecdh_gcm", "hmac_x25519", "pnet"};
    while (clock_type::now() + 25s < until) {
        co_await sleep_for(std::chrono::seconds(20));
        std::vector<sealed::net::ip::tcp::socket> idle;
        idle.reserve(3 * 1100);
        const auto opening_limit = clock_type::now() + 5s;
        for (const auto& name : targets) {
            const sealed::tcp_endpoint to{sealed::net::ip::make_address("127.0.0.1"), ctx.ports.at(name)};
            for (int i = 0; i < 1100 && clock_type::now() < opening_limit; ++i) {
                idle.emplace_back(ctx.io);
                auto [ec] = co_await idle.back().async_connect(to, sealed::net::as_tuple(sealed::net::use_awaitable));
                if (ec) idle.pop_back();
            }
        }
        co_await sleep_for(std::chrono::seconds(2));
        idle.clear();
        bool answered = true;
        for (const auto& name : targets) answered = co_await answers_metrics(ctx, ctx.ports.at(name)) && answered;
        if (answered)
            ctx.counts.refusal("soak", "fd_pressure");
        else
            ctx.counts.failure("soak", "fd_pressure", "a server did not answer /metrics within 3 s after the pressure");
    }
    --running;
}

}  // namespace soak

int main(int argc, char** argv) {
    CLI::App cli{"sealed soak client: mixed traffic for every scheme at once"};
    std::string work_dir;
    double duration = 600;
    int workers = 3;
    bool fd_pressure = false, slow_readers = false;
    cli.add_option("--work-dir", work_dir, "the server's --work-dir (ports, keys, identities)")->required();
    cli.add_option("--duration", duration, "seconds")->check(CLI::Range(1.0, 86400.0))->capture_default_str();
    cli.add_option("--workers", workers, "concurrent loops per scheme")->check(CLI::Range(1, 64))->capture_default_str();
    cli.add_flag("--slow-readers", slow_readers, "one client that never reads, for ECDH-GCM and for signaling, all along");
    cli.add_flag("--fd-pressure", fd_pressure, "run the server out of descriptors every 20 s (its limit must be ~2 300)");
    CLI11_PARSE(cli, argc, argv);
    sealed::log::set_level(spdlog::level::off);  // refusals are the point here; the report counts them

    std::ifstream ports_file(std::filesystem::path(work_dir) / "ports.json");
    const std::string ports_text((std::istreambuf_iterator<char>(ports_file)), {});
    boost::system::error_code ec;
    auto ports = boost::json::parse(ports_text, ec);
    if (ec || !ports.is_object()) {
        std::cerr << "no ports.json in " << work_dir << " (is sealed_soak_server running?)\n";
        return 2;
    }

    sealed::net::io_context io(1);
    soak::context ctx(io, work_dir);
    for (const auto& [name, port] : ports.as_object()) ctx.ports[std::string(name)] = static_cast<std::uint16_t>(port.as_int64());
    soak::ecdh_gcm_driver ecdh{ctx};
    soak::hmac_x25519_driver hmac(ctx);
    soak::pnet_driver pnet(ctx);
    soak::envelope_driver envelope{ctx};
    soak::signaling_driver signaling{ctx};

    const auto started = soak::clock_type::now();
    const auto until = started + std::chrono::duration_cast<soak::clock_type::duration>(std::chrono::duration<double>(duration));
    int running = 0;
    auto spawn = [&](auto& driver) {
        for (int i = 0; i < workers; ++i, ++running)
            sealed::net::co_spawn(io, soak::worker(driver, until, running), sealed::net::detached);
    };
    spawn(ecdh);
    spawn(hmac);
    spawn(pnet);
    spawn(envelope);
    spawn(signaling);
    if (slow_readers) {
        ++running;
        sealed::net::co_spawn(io, soak::slow_reader_loop(ecdh, until, running), sealed::net::detached);
        ++running;
        sealed::net::co_spawn(io, soak::slow_reader_loop(signaling, until, running), sealed::net::detached);
    }
    ++running;
    sealed::net::co_spawn(io, soak::replay_probe_loop(envelope, until, running), sealed::net::detached);
    if (fd_pressure) {
        ++running;
        sealed::net::co_spawn(io, soak::fd_pressure_loop(ctx, until, running), sealed::net::detached);
    }

    // Every action ends on a server's or a client's time limit (at most ~10 s); a loop still
    // running a minute after the end is a hang.
    sealed::net::steady_timer watchdog(io, until + std::chrono::seconds(60));
    watchdog.async_wait([&](const sealed::error_code& e) {
        if (e || running == 0) return;
        ctx.counts.failure("soak", "hung", std::to_string(running) + " loops still running a minute after the end");
        io.stop();
    });
    sealed::net::co_spawn(io, [&]() -> sealed::awaitable<void> {
        while (running > 0) co_await soak::sleep_for(std::chrono::milliseconds(50));
        watchdog.cancel();
    }, sealed::net::detached);
    io.run();

    auto report = ctx.counts.to_json();
    report["duration_s"] = std::chrono::duration<double>(soak::clock_type::now() - started).count();
    report["workers_per_scheme"] = workers;
    std::cout << boost::json::serialize(report) << std::endl;
    return ctx.counts.unexpected_total() == 0 ? 0 : 1;
}
