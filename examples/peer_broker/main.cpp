// peer_broker: a PeerJS-compatible signaling broker, a drop-in for the npm `peer` server 1.0.2
// (PROTOCOLS.md §5, docs/schemes/signaling.md). Its flags are the `peer` CLI's:
//   peer_broker --port 9000 --path /myapp --key peerjs --expire_timeout 5000 --alive_timeout 60000
//   peer_broker --port 9443 --sslkey key.pem --sslcert cert.pem [--sslca clients.pem]  # wss, mTLS
//   peer_broker --port 9000 --api-token SECRET   # clients add &apiToken=SECRET (sealed addition)
//   peer_broker --port 9000 --jwt-es256-keys keys.pem   # token = a JWT granting sub = the id
// Browsers connect with new Peer(id, {host, port, path, key}); the WebSocket is <path>/peerjs.
#include <sealed/app.hpp>
#include <sealed/files.hpp>
#include <sealed/server.hpp>
#include <sealed/signaling/jwt.hpp>
#include <sealed/signaling/scheme.hpp>

#include <boost/asio/ssl/context.hpp>

#include <iostream>

namespace {

using namespace sealed;

// --jwt-hs256-secret / --jwt-es256-keys: the token must be a JWT granting the id (sub).
bool use_jwt_policy(const std::vector<std::string>& secret_files, const std::string& es256_file,
                    signaling::broker_options& opts) {
    if (secret_files.empty() && es256_file.empty()) return true;
    signaling::jwt_verifier::options jwt;
    for (const auto& file : secret_files) {
        auto secret = signaling::jwt_verifier::read_secret(file);
        if (!secret) {
            std::cerr << "cannot read --jwt-hs256-secret " << file << ": " << secret.error().message() << "\n";
            return false;
        }
        jwt.hs256_secrets.push_back(std::move(*secret));
    }
    if (!es256_file.empty()) {
        auto pem = files::read(es256_file);
        if (!pem) {
            std::cerr << "cannot read --jwt-es256-keys " << es256_file << ": " << pem.error().message() << "\n";
            return false;
        }
        jwt.es256_public_keys_pem = std::string(as_string_view(*pem));
    }
    std::string why;
    auto verifier = signaling::jwt_verifier::make(std::move(jwt), &why);
    if (!verifier) {
        std::cerr << "cannot use the JWT keys: " << why << "\n";
        return false;
    }
    opts.max_token_length = 4096;
    opts.authorize = [verifier = *verifier](const signaling::peer_credentials& peer) {
        return verifier->check(peer.token, peer.id);
    };
    return true;
}

template <class Family>
int serve_with(net::io_context& io, server_config cfg, const std::shared_ptr<signaling::broker>& broker) {
    server<Family, signaling::scheme> srv(io, std::move(cfg), signaling::scheme::options{broker});
    srv.on_http([broker](const http_request& req) { return broker->http(req); });
    srv.on_metrics([broker] { return broker->prometheus_text(); });
    srv.on_session([broker](auto& conn) -> awaitable<void> { co_await signaling::serve(*broker, conn); });
    broker->start();
    return app::run(io, srv, srv.config().threads);
}

}  // namespace

int main(int argc, char** argv) {
    server_config cfg;
    cfg.listen = "0.0.0.0:9000";
    cfg.max_connections = 6000;       // the reference's concurrent_limit (5000) and room for HTTP
    cfg.allowed_origins = {"*"};      // as the reference (CORS origin: true); narrow it with --allowed-origin
    app::common_options common;
    signaling::broker_options opts;
    std::string host, sslkey, sslcert, sslca;
    std::optional<unsigned> port;
    long long expire_ms = opts.expire_timeout.count(), alive_ms = opts.alive_timeout.count();
    std::vector<std::string> origins, jwt_secrets;
    std::string jwt_es256;
    bool proxied = false;

    CLI::App cli{"PeerJS-compatible signaling broker (npm peer 1.0.2 flags)"};
    app::add_common_options(cli, cfg, common);
    cli.add_option("-p,--port", port, "port (overrides --listen's)");
    cli.add_option("-H,--host", host, "host (overrides --listen's)");
    cli.add_option("--path", opts.path, "custom path: HTTP routes under it, WebSocket at <path>/peerjs")->capture_default_str();
    cli.add_option("-k,--key", opts.key, "connection key")->capture_default_str();
    cli.add_option("-t,--expire_timeout,--expire-timeout", expire_ms, "queued messages expire after (ms)")->capture_default_str();
    cli.add_option("--alive_timeout,--alive-timeout", alive_ms, "no HEARTBEAT this long closes a socket (ms)")->capture_default_str();
    cli.add_option("-c,--concurrent_limit,--concurrent-limit", opts.concurrent_limit, "registered ids at most")->capture_default_str();
    cli.add_flag("--allow_discovery,--allow-discovery", opts.allow_discovery, "GET <path>/<key>/peers lists the ids");
    cli.add_option("--sslkey", sslkey, "PEM private key (serves wss)");
    cli.add_option("--sslcert", sslcert, "PEM certificate chain (serves wss)");
    cli.add_option("--sslca", sslca, "PEM CA bundle: clients must present a certificate it signed (mutual TLS)");
    cli.add_flag("--proxied", proxied,
                 "behind a reverse proxy: believe every hop's X-Forwarded-For / Forwarded (the client is the first "
                 "address named; --trusted-proxy CIDR believes only those proxies)");
    cli.add_option("--api-token", opts.api_token, "clients must pass &apiToken=<this> (sockets, /id, /peers)");
    cli.add_option("--jwt-hs256-secret", jwt_secrets,
                   "per-peer auth: the token must be an HS256 JWT with sub = the peer id and exp, signed with the "
                   "secret in FILE (at least 32 bytes; repeat for rotation)");
    cli.add_option("--jwt-es256-keys", jwt_es256,
                   "per-peer auth: the token must be an ES256 JWT with sub = the peer id and exp, signed by a key "
                   "whose PEM public key is in FILE (several for rotation)");
    cli.add_option("--allowed-origin", origins, "browser Origins allowed to connect (host names; default any)");
    cli.add_option("--queue-limit", opts.queue_limit, "messages queued per offline id")->capture_default_str();
    cli.add_option("--queue-bytes-limit", opts.queue_bytes_limit, "bytes queued per offline id")->capture_default_str();
    CLI11_PARSE(cli, argc, argv);

    if (port || !host.empty()) {
        auto current = listen_address::parse(cfg.listen);
        const std::string h = !host.empty() ? host : (current ? current->host : "0.0.0.0");
        const unsigned p = port ? *port : (current ? current->port : 9000);
        cfg.listen = (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + std::to_string(p);
    }
    if (!sslkey.empty() || !sslcert.empty()) {
        if (sslkey.empty() || sslcert.empty()) {
            std::cerr << "Warning: PeerServer will not run because either the key or the certificate has not been provided.\n";
            return 1;
        }
        cfg.tls_key = sslkey;
        cfg.tls_cert = sslcert;
    }
    if (!origins.empty()) cfg.allowed_origins = origins;
    opts.expire_timeout = std::chrono::milliseconds(expire_ms);
    opts.alive_timeout = std::chrono::milliseconds(alive_ms);
    if (!use_jwt_policy(jwt_secrets, jwt_es256, opts)) return 2;
    if (!app::apply_common_options(cfg, common)) return 2;
    app::fit_default_max_connections(cli, cfg);
    if (proxied) cfg.trusted_proxies.push_back("*");
    if (!sslca.empty()) {
        if (!app::wants_tls(cfg)) {
            std::cerr << "--sslca needs --sslkey/--sslcert (or --tls-self-signed)\n";
            return 2;
        }
        net::ssl::context scratch(net::ssl::context::tls_server);
        if (auto ec = tls::require_client_certificates_from(scratch, sslca)) {
            std::cerr << "cannot load --sslca " << sslca << ": " << ec.message() << "\n";
            return 2;
        }
        cfg.tls_client_ca = sslca;  // reloaded with the certificate (SIGHUP, or the file changes)
    }

    net::io_context io(static_cast<int>(cfg.threads));
    auto broker = signaling::broker::make(io.get_executor(), opts);
    cfg.ws_path = broker->ws_path();
    if (app::wants_tls(cfg)) return serve_with<wss>(io, std::move(cfg), broker);
    return serve_with<ws>(io, std::move(cfg), broker);
}
