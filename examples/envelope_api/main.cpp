// envelope_api: a sealed-envelope HTTP API (PROTOCOLS.md §2). Every request body is an envelope
// sealed to the server's published P-256 key; every answer is sealed back to the requester.
//   envelope_api --key-dir keys --listen 127.0.0.1:8443            # creates keys/ if absent
//   envelope_api --key-dir keys --redis redis://127.0.0.1:6379/0   # nonces shared via Redis
//   envelope_api --key-dir keys --max-nonces 200000   # bound the in-memory nonce store
//   envelope_api keygen --key-dir keys        # create the directory and a first key
//   envelope_api add-next --key-dir keys      # publish the next key (clients keep using current)
//   envelope_api rotate --key-dir keys --grace 300   # next → current, current accepted 300 s more
//   envelope_api retire --key-dir keys -- KID # remove a previous key (`--`: a kid may start with '-')
// Routes: GET /.well-known/sealed-keys (JWKS), POST /api/signup, /api/login, /api/echo, GET
// /health, GET /metrics; the same envelopes as WebSocket text frames on ws://host/api/<route>.
// A running server picks up rotations within a second (it watches keyring.json) or on SIGHUP.
#include "users.hpp"

#include <sealed/app.hpp>
#include <sealed/cluster/redis.hpp>
#include <sealed/cluster/replay_store.hpp>
#include <sealed/envelope/scheme.hpp>
#include <sealed/envelope/service.hpp>
#include <sealed/server.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <regex>

namespace {

using namespace sealed;

struct credentials {
    std::string username, password;
};

// {"username","password"}: 1–64 of [A-Za-z0-9_.-], and 8–256 bytes of password.
std::optional<credentials> parse_credentials(std::string_view json) {
    boost::system::error_code ec;
    auto v = boost::json::parse(json, ec);
    if (ec || !v.is_object()) return std::nullopt;
    auto* user = v.as_object().if_contains("username");
    auto* pass = v.as_object().if_contains("password");
    if (!user || !pass || !user->is_string() || !pass->is_string()) return std::nullopt;
    static const std::regex name_syntax("[A-Za-z0-9_.-]{1,64}");
    credentials c{std::string(user->as_string()), std::string(pass->as_string())};
    if (!std::regex_match(c.username, name_syntax) || c.password.size() < 8 || c.password.size() > 256)
        return std::nullopt;
    return c;
}

std::string json_reply(bool ok, std::string_view key, std::string_view value) {
    boost::json::object o{{"ok", ok}, {key, value}};
    return boost::json::serialize(o);
}

// Password hashing is at its bound (--max-pending-hashes): try again in a second.
envelope::app_reply busy_reply() { return {503, json_reply(false, "error", "busy"), 1}; }

awaitable<envelope::app_reply> handle_api(envelope_api::user_store& users, std::string_view route,
                                          std::string_view plaintext) {
    using outcome = envelope_api::user_store::outcome;
    if (route == "/api/echo") co_return envelope::app_reply{200, std::string(plaintext)};
    const bool signup = route == "/api/signup";
    if (!signup && route != "/api/login") co_return envelope::app_reply{404, json_reply(false, "error", "not_found")};
    auto creds = parse_credentials(plaintext);
    if (!creds) co_return envelope::app_reply{400, json_reply(false, "error", "invalid_credentials_format")};
    if (signup) {
        auto result = co_await users.async_signup(creds->username, creds->password);
        if (result == outcome::busy) co_return busy_reply();
        if (result == outcome::taken) co_return envelope::app_reply{409, json_reply(false, "error", "username_taken")};
        co_return envelope::app_reply{201, json_reply(true, "username", creds->username)};
    }
    auto result = co_await users.async_login(creds->username, creds->password);
    if (result == outcome::busy) co_return busy_reply();
    if (result != outcome::ok) co_return envelope::app_reply{401, json_reply(false, "error", "bad_credentials")};
    co_return envelope::app_reply{200, json_reply(true, "username", creds->username)};
}

int key_command(const std::string& name, const std::string& dir, unsigned grace_seconds, const std::string& kid) {
    namespace kd = envelope::key_directory;
    result<std::string> out = make_error_code(errc::invalid_argument);
    if (name == "keygen") out = kd::ensure(dir);
    if (name == "add-next") out = kd::add_next(dir);
    if (name == "rotate") out = kd::promote(dir, std::chrono::seconds(grace_seconds));
    if (name == "retire") {
        auto ec = kd::retire(dir, kid);
        out = ec ? result<std::string>(ec) : result<std::string>(kid);
    }
    if (!out) {
        std::cerr << name << " in " << dir << ": " << out.error().message() << "\n";
        return 1;
    }
    std::printf("%s %s\n", name == "retire" ? "retired" : "current", out->c_str());
    return 0;
}

// Reloads the key directory every second and on SIGHUP; a directory that fails to load keeps
// the keys already in use, with a log line. Lives in main's frame, which outlives io.run().
class key_watcher {
public:
    key_watcher(net::io_context& io, envelope::key_store& keys) : keys_(keys), timer_(io), hup_(io, SIGHUP) {
        arm_timer();
        arm_hup();
    }

private:
    void reload(std::string_view why) {
        auto changed = keys_.reload_if_changed();
        auto log = log::get("envelope");
        if (!changed)
            log.error("key directory reload ({}) failed, keeping the current keys: {}", why, changed.error().message());
        else if (*changed)
            log.info("keys reloaded ({}): current {}", why, keys_.snapshot()->current().kid);
    }
    void arm_timer() {
        timer_.expires_after(std::chrono::seconds(1));
        timer_.async_wait([this](error_code ec) {
            if (ec) return;
            reload("keyring.json changed");
            arm_timer();
        });
    }
    void arm_hup() {
        hup_.async_wait([this](error_code ec, int) {
            if (ec) return;
            reload("SIGHUP");
            arm_hup();
        });
    }

    envelope::key_store& keys_;
    net::steady_timer timer_;
    net::signal_set hup_;
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"sealed envelope API (per-request ECDH to a published key, replay protection)"};
    server_config cfg;
    cfg.ws_path = "/api/";
    app::common_options common;
    app::add_common_options(cli, cfg, common);
    std::string key_dir = "keys", retire_kid;
    app::redis_options redis_opts;
    unsigned window_seconds = 60, grace_seconds = 300;
    std::size_t body_limit = 64 * 1024, max_pending_hashes = 8;
    cluster::memory_replay_options memory_nonces;
    cli.add_option("--key-dir", key_dir, "directory of the server's P-256 keys (created if absent)")->capture_default_str();
    app::add_redis_options(cli, redis_opts, "nonces in Redis (else in memory)");
    cli.add_option("--window", window_seconds, "seconds a ts may differ from now")->capture_default_str();
    cli.add_option("--body-limit", body_limit, "largest request body in bytes")->capture_default_str();
    cli.add_option("--max-nonces", memory_nonces.max_entries,
                   "nonces the in-memory replay store holds; when full it refuses (503), never forgets a live one")
        ->capture_default_str()->check(CLI::Range(std::size_t(1), std::size_t(1) << 40));
    cli.add_option("--max-pending-hashes", max_pending_hashes,
                   "signups and logins waiting for Argon2id at once; past it: 503 busy, Retry-After: 1")
        ->capture_default_str()->check(CLI::Range(std::size_t(1), std::size_t(1) << 20));
    auto* keygen = cli.add_subcommand("keygen", "create the key directory with a first key, unless it exists");
    auto* add_next = cli.add_subcommand("add-next", "publish a new next key");
    auto* rotate = cli.add_subcommand("rotate", "next becomes current; current stays accepted for --grace seconds");
    rotate->add_option("--grace", grace_seconds, "seconds the old current key stays accepted")->capture_default_str();
    auto* retire = cli.add_subcommand("retire", "remove a previous key");
    retire->add_option("kid", retire_kid, "the previous key's kid")->required();
    for (auto* sub : {keygen, add_next, rotate, retire})
        sub->add_option("--key-dir", key_dir, "directory of the server's keys")->capture_default_str();
    CLI11_PARSE(cli, argc, argv);
    for (auto* sub : {keygen, add_next, rotate, retire})
        if (sub->parsed()) return key_command(sub->get_name(), key_dir, grace_seconds, retire_kid);
    if (!app::apply_common_options(cfg, common)) return 2;

    auto current = envelope::key_directory::ensure(key_dir);
    auto ring = current ? envelope::key_directory::load(key_dir) : result<envelope::keyring>(current.error());
    if (!ring) {
        std::cerr << "cannot use the key directory " << key_dir << ": " << ring.error().message() << "\n";
        return 2;
    }
    auto keys = std::make_shared<envelope::key_store>(std::move(*ring), key_dir);
    log::get("envelope").info("current key {}", keys->snapshot()->current().kid);

    net::io_context io(static_cast<int>(cfg.threads));
    std::shared_ptr<redis::client> redis_client;
    std::shared_ptr<cluster::replay_store> replay;
    if (!redis_opts.url.empty()) {
        redis_client = app::start_redis(io, redis_opts);
        if (!redis_client) return 2;
        replay = cluster::make_redis_replay_store(redis_client);
    } else {
        replay = cluster::make_memory_replay_store(memory_nonces);
    }

    envelope_api::user_store users(1, max_pending_hashes);
    envelope::service_options sopts;
    sopts.window = std::chrono::seconds(window_seconds);
    sopts.nonce_ttl = 2 * sopts.window;
    sopts.body_limit = body_limit;
    sopts.routes = {"/api/signup", "/api/login", "/api/echo"};
    // A frame over the body limit is answered body_too_large and the socket stays open; only one
    // far beyond it (16×) is not read at all (close 1009).
    cfg.max_message_size = std::max<std::size_t>(cfg.max_message_size, 16 * body_limit);
    const envelope::scheme::options scheme_options{sopts.routes};
    envelope::service svc(keys, replay,
                          [&users](std::string_view route, std::string_view plaintext) {
                              return handle_api(users, route, plaintext);
                          },
                          sopts);
    key_watcher watcher(io, *keys);

    auto run = [&](auto& srv) {
        srv.on_http_async([&svc](const http_request& req) -> awaitable<std::optional<http_response>> {
            auto res = co_await svc.handle_http(req);
            co_return res ? std::move(res) : svc.not_found(req);
        });
        srv.on_session([&svc](auto& c) { return envelope::serve_websocket(c, svc); });
        srv.on_metrics([&svc, redis_client] {
            return svc.prometheus_text() + (redis_client ? redis_client->prometheus_text() : std::string());
        });
        const int status = app::run(io, srv, cfg.threads);
        if (redis_client) redis_client->stop();
        return status;
    };
    if (app::wants_tls(cfg)) {
        server<wss, envelope::scheme> srv(io, cfg, scheme_options);
        return run(srv);
    }
    server<ws, envelope::scheme> srv(io, cfg, scheme_options);
    return run(srv);
}
