// sealed_soak_server: every scheme sealed ships, served by one process on one io_context, for
// scripts/soak (docs/reliability.md, "Soak"). Each scheme listens on its own loopback port:
//   ecdh_gcm     ws://…/stream        echoes every inner event
//   hmac_x25519  ws://…/ws            echoes every message; allowlist: the soak client's node only
//   pnet         ws://…/swarm/<DID>   the swarm (multistream-select, ping, broadcast)
//   envelope     http://…             /api/echo over HTTP and WebSocket, JWKS at the well-known path;
//                                     its replay store in --redis when given
//   signaling    ws://…/peerjs        the PeerJS broker
// --work-dir DIR gets what a client needs to get in: ports.json, master-secret.hex (pnet),
// hmac-client/ (the allowlisted identity), envelope-keys/. stdout: `ready` once every port
// listens. SIGINT/SIGTERM stop every server and print `stopped`. --threads N runs the one
// io_context on N threads (default 2), so TSan sees the runtime as a real server runs it.
#include <sealed/crypto/encoding.hpp>
#include <sealed/crypto/random.hpp>
#include <sealed/cluster/redis.hpp>
#include <sealed/cluster/replay_store.hpp>
#include <sealed/ecdh_gcm/scheme.hpp>
#include <sealed/envelope/scheme.hpp>
#include <sealed/envelope/service.hpp>
#include <sealed/hmac_x25519/scheme.hpp>
#include <sealed/pnet/scheme.hpp>
#include <sealed/pnet/serve.hpp>
#include <sealed/server.hpp>
#include <sealed/signaling/scheme.hpp>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <CLI/CLI.hpp>

#include <filesystem>
#include <functional>
#include <fstream>
#include <iostream>
#include <thread>
#include <vector>

#include <malloc.h>

namespace {

using namespace sealed;
namespace fs = std::filesystem;

unsigned threads = 2;

server_config loopback(std::string path) {
    server_config cfg;
    cfg.listen = "127.0.0.1:0";
    cfg.ws_path = std::move(path);
    cfg.threads = threads;
    cfg.max_connections = 2000;
    return cfg;
}

// Every message back to its sender, as it came.
template <class Connection>
awaitable<void> echo(Connection& c) {
    message_buffer in;
    while (!co_await c.async_receive(in))
        if (co_await c.async_send(in.bytes(), in.kind())) break;
}

bool write_file(const fs::path& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    return bool(out);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"sealed soak server: every scheme in one process"};
    std::string work_dir, redis_url;
    cli.add_option("--work-dir", work_dir, "where the ports, keys and identities for the client go")->required();
    cli.add_option("--redis", redis_url, "the envelope's replay store in this Redis (else in memory)");
    cli.add_option("--threads", threads, "I/O threads, shared by every server")->check(CLI::Range(1u, 64u))->capture_default_str();
    CLI11_PARSE(cli, argc, argv);
    const fs::path dir(work_dir);
    fs::create_directories(dir);
    log::set_level(spdlog::level::err);  // the soak's bad clients would flood the log

    net::io_context io(static_cast<int>(threads));

    ecdh_gcm::options ecdh_options;
    // 32 KiB: the soak's largest message is 16 KiB; its oversized_frame kind sends 256 KiB.
    auto ecdh_config = loopback("/stream");
    ecdh_config.max_message_size = 32 * 1024;
    ecdh_config.send_queue_bytes = 256 * 1024;  // the slow_reader kind passes it within a second
    ecdh_config.rate_limit = {4096, 2048};        // its 1 024 echo requests are all taken
    server<ws, ecdh_gcm::scheme> ecdh_server(io, ecdh_config, ecdh_options);
    ecdh_server.on_session([](auto& c) { return echo(c); });

    hmac_x25519::options hmac_options;
    hmac_options.identity = std::make_shared<hmac_x25519::node_identity>(
        hmac_x25519::node_identity::load_or_create(dir / "hmac-server", "soak-server").value());
    const auto client_identity = hmac_x25519::node_identity::load_or_create(dir / "hmac-client", "soak-client").value();
    auto allowed = std::make_shared<hmac_x25519::allowlist>();
    allowed->allow_id(client_identity.id());
    hmac_options.mode = hmac_x25519::auth_mode::allowlist;
    hmac_options.peers = allowed;
    server<ws, hmac_x25519::scheme> hmac_server(io, loopback("/ws"), hmac_options);
    hmac_server.on_session([](auto& c) { return echo(c); });

    const auto master = crypto::random_array<32>();
    if (!write_file(dir / "master-secret.hex", crypto::hex_encode(master))) {
        std::cerr << "cannot write " << (dir / "master-secret.hex") << "\n";
        return 2;
    }
    pnet::options pnet_options;
    pnet_options.master_secret = std::make_shared<const secure_bytes>(master.begin(), master.end());
    server<ws, pnet::scheme> pnet_server(io, loopback(std::string(pnet::default_path_prefix)), pnet_options);
    pnet_server.on_session([&pnet_server, &pnet_options](auto& c) {
        const auto fingerprint = pnet::fingerprint(pnet::tenant_psk(*pnet_options.master_secret, c.peer_id()));
        const pnet::swarm_context context{fingerprint, std::chrono::seconds(10)};
        return pnet::serve_swarm(pnet_server, c, context);
    });

    const auto key_dir = dir / "envelope-keys";
    auto ring = envelope::key_directory::ensure(key_dir) ? envelope::key_directory::load(key_dir)
                                                         : result<envelope::keyring>(errc::invalid_argument);
    if (!ring) {
        std::cerr << "cannot use the key directory " << key_dir << ": " << ring.error().message() << "\n";
        return 2;
    }
    envelope::service_options service_options;
    service_options.routes = {"/api/echo"};
    service_options.body_limit = 64 * 1024;
    // A short window: when scripts/soak restarts Redis empty, the stores refuse for one nonce_ttl.
    service_options.window = std::chrono::seconds(10);
    service_options.nonce_ttl = std::chrono::seconds(20);
    std::shared_ptr<cluster::replay_store> replay = cluster::make_memory_replay_store();
    std::shared_ptr<redis::client> redis_client;
    if (!redis_url.empty()) {
        auto cfg = redis::parse_url(redis_url);
        if (!cfg) {
            std::cerr << "bad --redis " << redis_url << "\n";
            return 2;
        }
        redis_client = redis::make_client(io.get_executor(), *cfg);
        redis_client->start();
        replay = cluster::make_redis_replay_store(redis_client, "soak:");
    }
    envelope::service envelope_service(
        std::make_shared<envelope::key_store>(std::move(*ring), key_dir), replay,
        [](std::string_view, std::string_view plaintext) -> awaitable<envelope::app_reply> {
            co_return envelope::app_reply{200, std::string(plaintext)};
        },
        service_options);
    auto envelope_config = loopback("/api/");
    envelope_config.http_max_requests = 20;  // the keepalive_hog kind counts them
    envelope_config.max_message_size = 16 * service_options.body_limit;
    const envelope::scheme::options envelope_options{service_options.routes};
    server<ws, envelope::scheme> envelope_server(io, envelope_config, envelope_options);
    envelope_server.on_http_async([&envelope_service](const http_request& req) -> awaitable<std::optional<http_response>> {
        auto res = co_await envelope_service.handle_http(req);
        co_return res ? std::move(res) : envelope_service.not_found(req);
    });
    envelope_server.on_session([&envelope_service](auto& c) { return envelope::serve_websocket(c, envelope_service); });
    envelope_server.on_metrics([&envelope_service] { return envelope_service.prometheus_text(); });

    auto broker = signaling::broker::make(io.get_executor(), signaling::broker_options{});
    auto signaling_config = loopback(broker->ws_path());
    signaling_config.send_queue_bytes = 1024 * 1024;  // the slow_reader kind's 32 MiB of OFFERs pass it
    signaling_config.rate_limit = {1024, 512};        // its 512 OFFERs are all taken
    server<ws, signaling::scheme> signaling_server(io, signaling_config, signaling::scheme::options{broker});
    signaling_server.on_http([broker](const http_request& req) { return broker->http(req); });
    signaling_server.on_metrics([broker] { return broker->prometheus_text(); });
    signaling_server.on_session([broker](auto& c) -> awaitable<void> { co_await signaling::serve(*broker, c); });
    broker->start();

    boost::json::object ports;
    auto listen = [&](std::string_view name, auto& srv) {
        auto bound = srv.start();
        if (!bound) {
            std::cerr << "cannot listen for " << name << ": " << bound.error().message() << "\n";
            return false;
        }
        ports[name] = bound->port();
        return true;
    };
    if (!listen("ecdh_gcm", ecdh_server) || !listen("hmac_x25519", hmac_server) || !listen("pnet", pnet_server) ||
        !listen("envelope", envelope_server) || !listen("signaling", signaling_server))
        return 1;
    if (!write_file(dir / "ports.json", boost::json::serialize(ports))) return 2;

    // What the allocator holds, every 10 s on stdout ("heap IN_USE FREE" in KiB): scripts/soak
    // reports it beside RSS, telling memory still in use from freed memory not given back.
    net::steady_timer heap_timer(io);
    std::function<void(error_code)> report_heap = [&](error_code ec) {
        if (ec) return;
        const auto m = mallinfo2();
        std::cout << "heap " << (m.uordblks + m.hblkhd) / 1024 << " " << m.fordblks / 1024 << std::endl;
        heap_timer.expires_after(std::chrono::seconds(10));
        heap_timer.async_wait(report_heap);
    };
    report_heap({});
    net::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const error_code& ec, int) {
        if (ec) return;
        broker->stop();
        ecdh_server.stop();
        hmac_server.stop();
        pnet_server.stop();
        envelope_server.stop();
        signaling_server.stop();
        if (redis_client) redis_client->stop();
        heap_timer.cancel();
    });
    std::cout << "ready" << std::endl;
    std::vector<std::thread> pool;
    for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : pool) t.join();
    std::cout << "stopped" << std::endl;
    return 0;
}
