// swarm_gateway: ADR 17's gateway. Sidecars connect to wss://gateway/swarm/{DID}; the gateway
// derives that tenant's PSK = SHA-256(master secret ‖ DID), wraps the WebSocket byte stream in
// libp2p's private-network layer with it, and hands the decrypted stream to one shared swarm
// (multistream-select 1.0.0 with /ipfs/ping/1.0.0 and a per-tenant broadcast channel).
//   swarm_gateway --listen 127.0.0.1:9443 --tls-cert cert.pem --tls-key key.pem --master-secret-file secret.hex
//   SEALED_MASTER_SECRET=<hex> swarm_gateway --listen 127.0.0.1:9091
//   ... --tcp-listen 127.0.0.1:4001 --psk-file swarm.key    # also raw TCP, one network, as libp2p
//   ... --redis redis://127.0.0.1:6379    # gateways sharing a Redis are one swarm per tenant
//                                         (broadcasts and pubsub)
//   ... --identity-key swarm-identity.key # the gateway's libp2p identity (made on first start)
// Behind pnet, real libp2p nodes get noise, yamux, identify and ping (docs/schemes/pnet.md).
// stdout: `listening on HOST:PORT` (WebSocket), then `tcp listening on HOST:PORT` with
// --tcp-listen, then `peer id 12D3KooW…`. A path that is not /swarm/<DID> gets HTTP 400 before
// any upgrade. The master secret is never logged; connections are logged with their PSK's
// fingerprint instead.
#include <sealed/app.hpp>
#include <sealed/cluster/router.hpp>
#include <sealed/pnet/scheme.hpp>
#include <sealed/pnet/serve.hpp>
#include <sealed/server.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>

namespace {

using namespace sealed;

std::optional<std::string> read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"sealed swarm gateway (libp2p private networks, one PSK per tenant DID)"};
    server_config cfg;
    cfg.ws_path = std::string(pnet::default_path_prefix);
    app::common_options common;
    app::add_common_options(cli, cfg, common);
    std::string secret_file, tcp_listen, psk_file;
    unsigned negotiate_seconds = 10;
    cli.add_option("--master-secret-file", secret_file, "the master secret, hex on one line (else $SEALED_MASTER_SECRET)");
    cli.add_option("--path-prefix", cfg.ws_path, "tenants connect to PREFIX<DID>")->capture_default_str();
    cli.add_option("--tcp-listen", tcp_listen, "also serve raw TCP (libp2p's native transport) on HOST:PORT");
    cli.add_option("--psk-file", psk_file, "the PSK file of the raw TCP network (libp2p format)");
    cli.add_option("--negotiate-timeout", negotiate_seconds, "seconds for a connection to speak multistream-select")
        ->capture_default_str();
    std::string identity_file = "swarm-identity.key";
    cli.add_option("--identity-key", identity_file,
                   "the gateway's libp2p identity: an Ed25519 PrivateKey protobuf file, made (0600) if absent")
        ->capture_default_str();
    std::string redis_url, server_id;
    cli.add_option("--redis", redis_url,
                   "redis://[[user]:password@]host[:port][/db]: a tenant's broadcasts and pubsub messages reach its "
                   "nodes on every gateway sharing it (WebSocket tenants; the raw TCP network stays local)");
    cli.add_option("--server-id", server_id, "this gateway's serverId on the bus (default: a random UUID)");
    CLI11_PARSE(cli, argc, argv);
    if (!app::apply_common_options(cfg, common)) return 2;

    std::optional<std::string> secret_text;
    if (!secret_file.empty()) {
        secret_text = read_text(secret_file);
        if (!secret_text) {
            std::cerr << "cannot read the master secret file " << secret_file << "\n";
            return 2;
        }
    } else if (const char* env = std::getenv("SEALED_MASTER_SECRET")) {
        secret_text = env;
    } else {
        std::cerr << "no master secret: give --master-secret-file FILE or set SEALED_MASTER_SECRET\n";
        return 2;
    }
    auto secret = pnet::parse_master_secret(*secret_text);
    secure_wipe(secret_text->data(), secret_text->size());
    if (!secret) {
        std::cerr << "the master secret is unusable: " << secret.error().message() << "\n";
        return 2;
    }
    pnet::options opts;
    opts.path_prefix = cfg.ws_path;
    opts.master_secret = std::make_shared<const secure_bytes>(std::move(*secret));
    const std::chrono::milliseconds negotiate_timeout = std::chrono::seconds(std::max(1u, negotiate_seconds));
    auto identity = libp2p::identity::load_or_create(identity_file);
    if (!identity) {
        std::cerr << "cannot load or create the libp2p identity " << identity_file << ": " << identity.error().message()
                  << "\n";
        return 2;
    }
    libp2p::host_options host;
    host.host = std::make_shared<const libp2p::identity>(std::move(*identity));
    // Like libp2p nodes, a new Noise static key per start; the identity signs it in each handshake.
    host.noise_static = std::make_shared<const crypto::x25519_private_key>(crypto::x25519_private_key::generate());
    host.pubsub = true;
    pnet::pubsub_hub hub;

    net::io_context io(static_cast<int>(cfg.threads));
    std::shared_ptr<cluster::bus> bus;
    if (!redis_url.empty()) {
        auto redis = app::start_redis(io, redis_url);
        if (!redis) return 2;
        bus = cluster::make_redis_bus(redis, {server_id});
    }
    std::unique_ptr<server<tcp_raw, pnet::scheme>> tcp_server;
    if (!tcp_listen.empty()) {
        auto file = read_text(psk_file);
        auto key = file ? pnet::parse_psk_file(as_bytes(*file)) : result<pnet::psk>(errc::invalid_argument);
        if (!key) {
            std::cerr << "--tcp-listen needs a readable --psk-file: " << key.error().message() << "\n";
            return 2;
        }
        server_config tcp_cfg = cfg;
        tcp_cfg.listen = tcp_listen;
        pnet::options tcp_opts = opts;
        tcp_opts.master_secret.reset();
        tcp_opts.key = std::move(*key);
        const auto fingerprint = pnet::fingerprint(tcp_opts.key);
        tcp_server = std::make_unique<server<tcp_raw, pnet::scheme>>(io, tcp_cfg, tcp_opts);
        const pnet::swarm_context tcp_context{fingerprint, negotiate_timeout, nullptr, &host,
                                              libp2p::multiaddr_transport::tcp, &hub};
        tcp_server->on_session([&srv = *tcp_server, tcp_context](auto& c) { return pnet::serve_swarm(srv, c, tcp_context); });
        auto bound = tcp_server->start();
        if (!bound) {
            std::cerr << "cannot listen on " << tcp_listen << ": " << bound.error().message() << "\n";
            return 1;
        }
        // Posted: printed once the WebSocket listener has announced itself (`listening on` first).
        net::post(io, [line = "tcp listening on " + transport::to_string(*bound)] {
            std::printf("%s\n", line.c_str());
            std::fflush(stdout);
        });
        log::get("swarm").info("raw TCP network, PSK fingerprint {}, on {}", fingerprint,
                                transport::to_string(*bound));
    }
    auto run = [&](auto& srv) {
        // Other gateways' broadcasts to this gateway's members; destroyed before srv, once io has stopped.
        std::optional<cluster::router<std::remove_reference_t<decltype(srv)>>> from_others;
        if (bus) {
            hub.set_bus(bus);
            // The bus's one handler: pubsub events to the hub, broadcasts to this gateway's members.
            auto frame = [&hub](std::string_view event, const boost::json::value& data) {
                return hub.from_bus(event, data) ? std::string() : pnet::swarm_bus_frame(event, data);
            };
            from_others.emplace(srv, bus, frame, message_kind::binary);
        }
        srv.on_metrics([bus, &hub] { return hub.prometheus_text() + (bus ? bus->prometheus_text() : std::string()); });
        const auto over = app::wants_tls(cfg) ? libp2p::multiaddr_transport::wss : libp2p::multiaddr_transport::ws;
        srv.on_session([&srv, &opts, negotiate_timeout, to_others = bus.get(), &host, over, &hub](auto& c) {
            const pnet::swarm_context context{pnet::fingerprint(pnet::tenant_psk(*opts.master_secret, c.peer_id())),
                                              negotiate_timeout, to_others, &host, over, &hub};
            return pnet::serve_swarm(srv, c, context);
        });
        // Posted: after the listening lines.
        net::post(io, [line = "peer id " + host.host->id().to_string()] {
            std::printf("%s\n", line.c_str());
            std::fflush(stdout);
        });
        log::get("swarm").info("libp2p peer id {}", host.host->id().to_string());
        const int status = app::run(io, srv, cfg.threads);
        if (tcp_server) tcp_server->stop();
        return status;
    };
    if (app::wants_tls(cfg)) {
        server<wss, pnet::scheme> srv(io, cfg, opts);
        return run(srv);
    }
    server<ws, pnet::scheme> srv(io, cfg, opts);
    return run(srv);
}
