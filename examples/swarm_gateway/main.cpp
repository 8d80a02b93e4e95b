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
//   ... --deny-file revoked.txt           # revoked tenants (DIDs), reloaded when it changes
//   ... --next-master-secret-file next.hex # a key rotation: both generations are accepted
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
#include <filesystem>
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

// --deny-file: revoked tenants, read at start and again whenever the file changes (checked each
// second), without a restart. A tenant newly revoked has its connections closed (1008); a file
// that no longer parses is logged and the list in force is kept.
class deny_file_watch {
public:
    deny_file_watch(net::io_context& io, std::string path, std::shared_ptr<pnet::deny_list> list)
        : timer_(io), path_(std::move(path)), list_(std::move(list)) {}

    // false when the file cannot be read or parsed at start.
    bool load() { return reload(false); }
    template <class Server>
    void watch(Server& srv) {
        close_revoked_ = [&srv](const pnet::deny_list::set_type& revoked) {
            srv.for_each([&](auto& c) {
                if (revoked.contains(c.peer_id())) c.close({close_code::policy_violation, "tenant revoked"});
            });
        };
        arm();
    }

private:
    void arm() {
        timer_.expires_after(std::chrono::seconds(1));
        timer_.async_wait([this](const error_code& ec) {
            if (ec) return;
            reload(true);
            arm();
        });
    }
    bool reload(bool running) {
        std::error_code ec;
        const auto changed = std::filesystem::last_write_time(path_, ec);
        if (running && (ec || changed == last_change_)) return true;
        auto text = read_text(path_);
        auto dids = text ? pnet::deny_list::parse(*text) : result<pnet::deny_list::set_type>(errc::invalid_argument);
        if (!dids) {
            log::get("swarm").error("deny file {} unusable ({}); keeping the {} revoked tenants in force", path_,
                                    text ? dids.error().message() : "cannot read it", list_->size());
            return false;
        }
        last_change_ = changed;
        const auto revoked = list_->replace(std::move(*dids));
        log::get("swarm").info("deny file {}: {} tenants revoked ({} newly)", path_, list_->size(), revoked.size());
        if (close_revoked_ && !revoked.empty()) close_revoked_(revoked);
        return true;
    }

    net::steady_timer timer_;
    std::string path_;
    std::shared_ptr<pnet::deny_list> list_;
    std::filesystem::file_time_type last_change_{};
    std::function<void(const pnet::deny_list::set_type&)> close_revoked_;
};

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
    std::string next_secret_file;
    cli.add_option("--next-master-secret-file", next_secret_file,
                   "during a key rotation, the next master secret: each connection is keyed with whichever "
                   "generation its first bytes decrypt under (see /metrics: sealed_swarm_connections_by_key)");
    cli.add_option("--path-prefix", cfg.ws_path, "tenants connect to PREFIX<DID>")->capture_default_str();
    cli.add_option("--tcp-listen", tcp_listen, "also serve raw TCP (libp2p's native transport) on HOST:PORT");
    cli.add_option("--psk-file", psk_file, "the PSK file of the raw TCP network (libp2p format)");
    cli.add_option("--negotiate-timeout", negotiate_seconds, "seconds for a connection to speak multistream-select")
        ->capture_default_str();
    std::string identity_file = "swarm-identity.key";
    cli.add_option("--identity-key", identity_file,
                   "the gateway's libp2p identity: an Ed25519 PrivateKey protobuf file, made (0600) if absent")
        ->capture_default_str();
    std::string deny_file;
    cli.add_option("--deny-file", deny_file,
                   "revoked tenants, one DID per line ('#' comments): refused with 403, their connections closed; "
                   "reloaded when the file changes");
    std::string server_id;
    app::redis_options redis_opts;
    app::add_redis_options(cli, redis_opts,
                           "a tenant's broadcasts and pubsub messages reach its nodes on every gateway sharing it "
                           "(WebSocket tenants; the raw TCP network stays local)");
    app::add_bus_key_option(cli, redis_opts);
    cli.add_option("--server-id", server_id, "this gateway's serverId on the bus (default: a random UUID)");
    libp2p::host_options host;
    cli.add_option("--pubsub-rate-burst", host.pubsub_rate.burst,
                   "pubsub messages one libp2p peer may publish at once (0: no limit; the excess is refused and "
                   "counted as rate_limited)")->capture_default_str();
    cli.add_option("--pubsub-rate-per-second", host.pubsub_rate.refill_per_second,
                   "pubsub messages one libp2p peer may publish per second, sustained (0: no limit)")
        ->capture_default_str();
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
    if (!next_secret_file.empty()) {
        auto text = read_text(next_secret_file);
        auto next = text ? pnet::parse_master_secret(*text) : result<secure_bytes>(errc::invalid_argument);
        if (text) secure_wipe(text->data(), text->size());
        if (!next) {
            std::cerr << "the next master secret (" << next_secret_file << ") is unusable\n";
            return 2;
        }
        opts.next_master_secret = std::make_shared<const secure_bytes>(std::move(*next));
    }
    const std::chrono::milliseconds negotiate_timeout = std::chrono::seconds(std::max(1u, negotiate_seconds));
    auto identity = libp2p::identity::load_or_create(identity_file);
    if (!identity) {
        std::cerr << "cannot load or create the libp2p identity " << identity_file << ": " << identity.error().message()
                  << "\n";
        return 2;
    }
    host.host = std::make_shared<const libp2p::identity>(std::move(*identity));
    // Like libp2p nodes, a new Noise static key per start; the identity signs it in each handshake.
    host.noise_static = std::make_shared<const crypto::x25519_private_key>(crypto::x25519_private_key::generate());
    host.noise_payload = libp2p::signed_noise_payload(*host.host, *host.noise_static);
    host.pubsub = true;

    net::io_context io(static_cast<int>(cfg.threads));
    // After io: what the hub holds (the bus and its timers) must go before the io_context does.
    pnet::pubsub_hub hub;
    pnet::libp2p_counters refusals;
    std::optional<deny_file_watch> denied;
    if (!deny_file.empty()) {
        auto list = std::make_shared<pnet::deny_list>();
        opts.denied = list;
        denied.emplace(io, deny_file, list);
        if (!denied->load()) {
            std::cerr << "cannot use the deny file " << deny_file << "\n";
            return 2;
        }
    }
    std::shared_ptr<cluster::bus> bus;  // none: every tenant is local to this gateway
    if (!redis_opts.url.empty() || !redis_opts.bus_key.empty()) {
        bus = app::make_bus(io, redis_opts, server_id);
        if (!bus) return 2;
    }
    std::unique_ptr<server<tcp_raw, pnet::scheme>> tcp_server;
    std::string announce;  // stdout lines printed after `listening on`
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
        tcp_opts.next_master_secret.reset();  // one network key; rotation is per tenant
        tcp_opts.key = std::move(*key);
        const auto fingerprint = pnet::fingerprint(tcp_opts.key);
        tcp_server = std::make_unique<server<tcp_raw, pnet::scheme>>(io, tcp_cfg, tcp_opts);
        const pnet::swarm_context tcp_context{fingerprint, negotiate_timeout, nullptr, &host,
                                              libp2p::multiaddr_transport::tcp, &hub, &refusals};
        tcp_server->on_session([&srv = *tcp_server, tcp_context](auto& c) { return pnet::serve_swarm(srv, c, tcp_context); });
        auto bound = tcp_server->start();
        if (!bound) {
            std::cerr << "cannot listen on " << tcp_listen << ": " << bound.error().message() << "\n";
            return 1;
        }
        announce += "tcp listening on " + transport::to_string(*bound) + "\n";
        log::get("swarm").info("raw TCP network, PSK fingerprint {}, on {}", fingerprint,
                                transport::to_string(*bound));
    }
    auto run = [&](auto& srv) {
        // Other gateways' broadcasts to this gateway's members; destroyed before srv, once io has stopped.
        std::optional<cluster::router<std::remove_reference_t<decltype(srv)>>> from_others;
        if (bus) {
            hub.set_bus(bus);
            // The bus's one handler: pubsub events to the hub, broadcasts to this gateway's members.
            auto frame = [&hub](std::string_view event, const boost::json::value* data) {
                if (!data) return std::string();  // every swarm message carries its frame
                return hub.from_bus(event, *data) ? std::string() : pnet::swarm_bus_frame(event, *data);
            };
            from_others.emplace(srv, bus, frame, message_kind::binary);
        }
        srv.on_metrics([bus, &hub, &refusals, &srv, rotating = opts.next_master_secret != nullptr] {
            std::string text = hub.prometheus_text() + refusals.prometheus_text() +
                               (bus ? bus->prometheus_text() : std::string());
            if (rotating) {
                text += "# TYPE sealed_swarm_connections_by_key gauge\n";
                for (const auto& [room, generation] : {std::pair{pnet::current_key_room, "current"},
                                                      std::pair{pnet::next_key_room, "next"}})
                    text += "sealed_swarm_connections_by_key{generation=\"" + std::string(generation) + "\"} " +
                            std::to_string(srv.rooms().members(room).size()) + "\n";
            }
            return text;
        });
        const auto over = app::wants_tls(cfg) ? libp2p::multiaddr_transport::wss : libp2p::multiaddr_transport::ws;
        srv.on_session([&srv, &opts, negotiate_timeout, to_others = bus.get(), &host, over, &hub,
                        &refusals](auto& c) {
            const pnet::swarm_context context{pnet::fingerprint(pnet::tenant_psk(*opts.master_secret, c.peer_id())),
                                              negotiate_timeout, to_others, &host, over, &hub, &refusals};
            return pnet::serve_swarm(srv, c, context);
        });
        // One posted handler, so it runs after app::run printed `listening on` and the lines keep
        // their order whichever of the I/O threads runs it.
        net::post(io, [lines = announce + "peer id " + host.host->id().to_string() + "\n"] {
            std::fputs(lines.c_str(), stdout);
            std::fflush(stdout);
        });
        log::get("swarm").info("libp2p peer id {}", host.host->id().to_string());
        if (denied) denied->watch(srv);
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
