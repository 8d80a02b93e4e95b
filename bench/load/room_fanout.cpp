// sealed_room_fanout: a room broadcast across one or several stream_chat processes (issue 10).
// Connects --receivers clients spread round-robin over the --url list, all in room "bench"; one
// sender (on the first URL) sends chat messages with a window: message k goes out once every
// receiver has message k - window. Prints one JSON object: deliveries/s, and the latency from
// send to receipt, p50/p99, for receivers on the sender's process and on the others (the
// difference is the Redis hop).
//   sealed_room_fanout --url ws://127.0.0.1:9101/stream --url ws://127.0.0.1:9102/stream
//                      --receivers 60 --duration 5
#include <sealed/ecdh_gcm/client.hpp>
#include <sealed/log.hpp>

#include <boost/json.hpp>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>

namespace {

using namespace sealed;
using clock_type = std::chrono::steady_clock;
using stream_client = ecdh_gcm::stream_client<ws>;
namespace json = boost::json;

struct settings {
    std::vector<std::string> urls;
    std::size_t receivers = 30, window = 8, size = 256;
    double duration = 5;
};

struct state {
    const settings& s;
    clock_type::time_point start = clock_type::now(), until;
    std::uint64_t sent = 0, delivered = 0, errors = 0;
    std::vector<std::uint64_t> received_by;  // per receiver: the highest sequence number seen
    std::vector<std::uint32_t> local_us, remote_us;
    std::string first_error;
    bool ready = false;
    void error(std::string_view what) {
        if (errors++ == 0) first_error = what;
    }
    std::uint64_t slowest() const { return *std::min_element(received_by.begin(), received_by.end()); }
};

awaitable<result<stream_client>> connect_to(std::string_view url) {
    const client_config cfg;
    ecdh_gcm::options opts;
    opts.token = "bench";
    co_return co_await stream_client::connect(co_await net::this_coro::executor, url, cfg, opts);
}

awaitable<void> receive(state& st, stream_client& c, std::size_t index, bool local) {
    while (clock_type::now() < st.until) {
        auto e = co_await c.next();
        if (!e) {
            st.error("receiver: " + e.error().message());
            co_return;
        }
        if (e->event != "chat") continue;
        // text = "<seq> <send time in µs since start> <padding>"
        const auto& text = e->data.at("text").as_string();
        std::uint64_t seq = 0, sent_us = 0;
        if (std::sscanf(text.c_str(), "%lu %lu", &seq, &sent_us) != 2) continue;
        const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - st.start).count();
        (local ? st.local_us : st.remote_us).push_back(static_cast<std::uint32_t>(now_us - sent_us));
        st.received_by[index] = std::max(st.received_by[index], seq);
        ++st.delivered;
    }
}

awaitable<void> send(state& st, stream_client& c) {
    net::steady_timer wait(co_await net::this_coro::executor);
    const std::string padding(st.s.size, 'x');
    while (clock_type::now() < st.until) {
        if (st.sent >= st.s.window && st.slowest() < st.sent - st.s.window) {
            wait.expires_after(std::chrono::microseconds(200));
            co_await wait.async_wait(net::as_tuple(net::use_awaitable));
            continue;
        }
        const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - st.start).count();
        const json::value chat = {{"room", "bench"},
                                  {"text", std::to_string(st.sent + 1) + " " + std::to_string(now_us) + " " + padding}};
        if (auto ec = co_await c.emit("chat", chat)) {
            st.error("sender: " + ec.message());
            co_return;
        }
        ++st.sent;
    }
}

std::uint32_t percentile(std::vector<std::uint32_t>& v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * double(v.size())))];
}

awaitable<void> run(state& st, std::vector<std::optional<stream_client>>& clients, net::io_context& io) {
    const auto& s = st.s;
    const std::vector<std::string> room{"bench"};
    for (std::size_t i = 0; i <= s.receivers; ++i) {  // client 0 is the sender
        auto c = co_await connect_to(s.urls[i % s.urls.size()]);
        if (!c) {
            st.error("connect: " + c.error().message());
            io.stop();
            co_return;
        }
        clients[i].emplace(std::move(*c));
        if (auto ec = co_await clients[i]->join(room)) {
            st.error("join: " + ec.message());
            io.stop();
            co_return;
        }
        auto joined = co_await clients[i]->next();  // stream_chat answers `joined`
        if (!joined) {
            st.error("join: " + joined.error().message());
            io.stop();
            co_return;
        }
    }
    // Give every process's pub/sub a moment, then measure from here.
    net::steady_timer settle(co_await net::this_coro::executor, std::chrono::milliseconds(300));
    co_await settle.async_wait(net::as_tuple(net::use_awaitable));
    st.start = clock_type::now();
    st.until = st.start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s.duration));
    st.ready = true;
    auto ex = co_await net::this_coro::executor;
    for (std::size_t i = 1; i <= s.receivers; ++i)
        net::co_spawn(ex, receive(st, *clients[i], i - 1, i % s.urls.size() == 0), net::detached);
    co_await send(st, *clients[0]);
    // What is still on its way is not counted; the receivers wait in next(), so stop here.
    io.stop();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"sealed_room_fanout: room broadcast across stream_chat processes"};
    settings s;
    cli.add_option("--url", s.urls, "ws://HOST:PORT/stream (repeat: receivers go round-robin)")->required();
    cli.add_option("--receivers", s.receivers)->check(CLI::Range(1, 10000))->capture_default_str();
    cli.add_option("--window", s.window, "messages ahead of the slowest receiver")->capture_default_str();
    cli.add_option("--size", s.size, "padding bytes per message")->capture_default_str();
    cli.add_option("--duration", s.duration, "seconds")->capture_default_str();
    CLI11_PARSE(cli, argc, argv);
    log::set_level("error");
    state st{s};
    st.received_by.assign(s.receivers, 0);
    net::io_context io;  // before the clients: they are destroyed first
    std::vector<std::optional<stream_client>> clients(s.receivers + 1);
    net::co_spawn(io, run(st, clients, io), net::detached);
    io.run_for(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(s.duration + 60)));
    const double seconds = std::chrono::duration<double>(std::min(clock_type::now(), st.until) - st.start).count();
    json::object out{{"processes", s.urls.size()},
                     {"receivers", s.receivers},
                     {"sent", st.sent},
                     {"delivered", st.delivered},
                     {"deliveries_per_s", st.ready && seconds > 0 ? double(st.delivered) / seconds : 0.0},
                     {"local_latency_us", {{"p50", percentile(st.local_us, 0.5)}, {"p99", percentile(st.local_us, 0.99)}}},
                     {"remote_latency_us", {{"p50", percentile(st.remote_us, 0.5)}, {"p99", percentile(st.remote_us, 0.99)}}},
                     {"errors", st.errors}};
    if (!st.first_error.empty()) out["first_error"] = st.first_error;
    std::cout << json::serialize(out) << std::endl;
    return st.ready && st.errors == 0 ? 0 : 1;
}
