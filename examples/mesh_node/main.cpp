// mesh_node: a node of the Go node transport's mesh (HMAC-X25519, PROTOCOLS.md §3). It listens,
// dials the peers it is given (reconnecting with backoff), pings every link as the Go nodes do,
// answers pings with pongs, and relays `chat` messages: each line on stdin goes to every peer,
// and each chat that arrives is printed once and passed on to the other links, so a message
// reaches every node of a connected mesh exactly once.
//   mesh_node --listen 127.0.0.1:9091 --key-dir ./node-a
//   mesh_node --listen 127.0.0.1:9092 --key-dir ./node-b --peer ws://127.0.0.1:9091/ws
// stdout: `listening on HOST:PORT`, `node id <id>`, then `peer up <id> in|out`,
// `peer down <id>` and `chat <from id> <text>` lines. --echo also answers every other message
// with a reply of the same type and payload (what the bench drives).
#include <sealed/app.hpp>
#include <sealed/managed_client.hpp>
#include <sealed/hmac_x25519/scheme.hpp>
#include <sealed/server.hpp>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>

#include <iostream>
#include <map>
#include <mutex>

namespace {

using namespace sealed;
namespace hx = sealed::hmac_x25519;
namespace json = boost::json;
using send_fn = std::function<void(bytes)>;

// Every live link, inbound or outbound: what the relay sends through.
class mesh {
public:
    mesh(std::shared_ptr<const hx::node_identity> me, bool echo) : me_(std::move(me)), echo_(echo) {}

    std::uint64_t add(const std::string& peer, std::string_view direction, send_fn send) {
        std::lock_guard lock(mutex_);
        links_.emplace(++next_id_, link{peer, std::move(send)});
        print("peer up " + peer + " " + std::string(direction));
        return next_id_;
    }
    void remove(std::uint64_t id) {
        std::lock_guard lock(mutex_);
        if (auto it = links_.find(id); it != links_.end()) {
            print("peer down " + it->second.peer);
            links_.erase(it);
        }
    }

    // ping → pong on the same link; a chat seen for the first time → printed and passed on to
    // every other link (not back to where it came from, nor to the node that wrote it).
    void on_message(std::uint64_t from_link, std::string_view text, const send_fn& reply) {
        auto message = hx::wire::parse(text);
        if (!message) return;
        if (message->type == hx::wire::type::ping) {
            reply(to_bytes(hx::wire::serialize(hx::wire::make_pong(*message))));
        } else if (message->type == "chat" && !seen_.seen(message->id)) {
            const auto* said = message->payload.is_object() ? message->payload.get_object().if_contains("text") : nullptr;
            print("chat " + message->from + " " + (said && said->is_string() ? std::string(said->get_string()) : ""));
            send_to_all(to_bytes(std::string(text)), from_link, message->from);
        } else if (echo_ && echoable(message->type)) {
            reply(to_bytes(hx::wire::serialize(
                hx::wire::make_envelope(message->type, me_->id(), message->from, message->payload, message->id))));
        }
    }
    // A chat from this node.
    void say(std::string_view text) {
        auto message = hx::wire::make_envelope("chat", me_->id(), "", json::object{{"text", text}});
        seen_.seen(message.id);
        send_to_all(to_bytes(hx::wire::serialize(message)), 0, {});
    }
    void ping_all() {
        std::lock_guard lock(mutex_);
        for (auto& [id, l] : links_) {
            auto ping = hx::wire::make_envelope(hx::wire::type::ping, me_->id(), l.peer,
                                                json::object{{"sentAt", hx::wire::unix_millis_now()}});
            l.send(to_bytes(hx::wire::serialize(ping)));
        }
    }
    void print(const std::string& line) {
        std::lock_guard lock(print_mutex_);
        std::cout << line << std::endl;
    }

private:
    struct link {
        std::string peer;
        send_fn send;
    };
    static bytes to_bytes(const std::string& s) { return bytes(s.begin(), s.end()); }
    // --echo answers app messages, not the transport's own (a reply to those would mean something).
    static bool echoable(std::string_view type) {
        namespace t = hx::wire::type;
        return type != t::pong && type != t::disconnect && type != t::error && type != t::handshake &&
               type != t::handshake_ack;
    }
    void send_to_all(const bytes& message, std::uint64_t except, std::string_view author) {
        std::lock_guard lock(mutex_);
        for (auto& [id, l] : links_)
            if (id != except && l.peer != author) l.send(message);
    }

    std::shared_ptr<const hx::node_identity> me_;
    bool echo_;  // answer other messages with a reply of the same type and payload (bench, tests)
    std::mutex mutex_, print_mutex_;
    std::map<std::uint64_t, link> links_;
    std::uint64_t next_id_ = 0;
    policy::deduplicator seen_{std::chrono::minutes(5)};  // chat ids, across all links
};

// One link, inbound or outbound (both are runtime connections): registered with the mesh while
// it is up, every message it brings handed to the relay.
template <class Connection>
awaitable<void> serve_link(mesh& m, Connection& c, std::string_view direction) {
    auto self = c.shared_from_this();
    const send_fn send = [self](bytes b) { self->send(std::move(b)); };
    const auto link = m.add(c.peer_id(), direction, send);
    message_buffer in;
    while (!co_await c.async_receive(in)) m.on_message(link, in.text(), send);
    m.remove(link);
}

// The peers this node dials: each a managed client (reconnects with backoff, the runtime's
// queue, keepalive and policies), stopped with the server.
class outbound_links {
public:
    template <class Family>
    void dial(net::io_context& io, mesh& m, const std::string& url, const client_config& cfg, const hx::options& opts) {
        auto link = std::make_shared<managed_client<Family, hx::scheme>>(io, url, cfg, opts);
        link->on_session([&m](auto& c) { return serve_link(m, c, "out"); });
        link->on_connect_error([url](const error_code& ec) {
            log::get("mesh").warn("cannot reach {}: {}", url, ec.message());
        });
        link->start();
        stops_.emplace_back([link] { link->stop(); });
    }
    void stop_all() {
        for (auto& stop : stops_) stop();
    }

private:
    std::vector<std::function<void()>> stops_;  // each holds its client
};

// Each line of stdin is a chat from this node; at EOF (or with no stdin) nothing more is said.
awaitable<void> read_stdin(mesh& m) {
    net::posix::stream_descriptor in(co_await net::this_coro::executor, ::dup(STDIN_FILENO));
    std::string buffer;
    for (;;) {
        auto [ec, n] = co_await net::async_read_until(in, net::dynamic_buffer(buffer), '\n',
                                                      net::as_tuple(net::use_awaitable));
        if (ec) co_return;
        if (n > 1) m.say(std::string_view(buffer).substr(0, n - 1));
        buffer.erase(0, n);
    }
}

awaitable<void> ping_every(mesh& m, std::chrono::seconds interval) {
    net::steady_timer timer(co_await net::this_coro::executor);
    for (;;) {
        timer.expires_after(interval);
        if (auto [ec] = co_await timer.async_wait(net::as_tuple(net::use_awaitable)); ec) co_return;
        m.ping_all();
    }
}

template <class Family>
int run_node(server_config cfg, hx::options opts, const std::vector<std::string>& peers, client_config peer_cfg,
             std::chrono::seconds ping_interval, bool echo) {
    net::io_context io(static_cast<int>(cfg.threads));
    mesh m(opts.identity, echo);
    server<Family, hx::scheme> srv(io, cfg, opts);
    srv.on_session([&m](auto& c) { return serve_link(m, c, "in"); });
    // Posted: runs once the server listens, so `listening on` stays the first line.
    net::post(io, [&] { m.print("node id " + opts.identity->id()); });
    outbound_links outbound;
    for (const auto& peer : peers) {
        auto peer_opts = opts;
        std::string url = peer;
        // ID@URL pins the peer: the handshake then refuses any other node at that address.
        if (auto at = peer.find('@'); at != std::string::npos && at < peer.find("://")) {
            peer_opts.expected_peer_id = peer.substr(0, at);
            url = peer.substr(at + 1);
        }
        if (url.starts_with("wss://"))
            outbound.dial<wss>(io, m, url, peer_cfg, peer_opts);
        else
            outbound.dial<ws>(io, m, url, peer_cfg, peer_opts);
    }
    net::co_spawn(io, read_stdin(m), net::detached);
    net::co_spawn(io, ping_every(m, ping_interval), net::detached);
    return app::run(io, srv, cfg.threads, [&outbound] { outbound.stop_all(); });
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"sealed mesh node (HMAC-X25519, compatible with the Go node transport)"};
    server_config cfg;
    cfg.threads = 1;
    app::common_options common;
    app::add_common_options(cli, cfg, common);
    std::string key_dir, name = "sealed-node", role{hx::default_role}, allowlist_file, peer_ca;
    std::vector<std::string> peers;
    unsigned ping_seconds = 30;
    bool echo = false;
    cli.add_option("--key-dir", key_dir, "keep the identity here (private.key, node.json; made if absent); "
                                         "without it the node has a new identity every start");
    cli.add_option("--name", name, "node name (for a new identity)")->capture_default_str();
    cli.add_option("--role", role, "controller|worker|dual (for a new identity)")->capture_default_str();
    cli.add_option("--peer", peers, "[ID@]ws://HOST:PORT/ws of a node to dial (repeatable; ID pins it)");
    cli.add_option("--allowlist", allowlist_file, "accept only these node ids / public keys (one per line)");
    cli.add_option("--ping-interval", ping_seconds, "seconds between pings on every link")->capture_default_str();
    cli.add_option("--peer-ca-file", peer_ca, "trust anchors for wss peers (default: the system's)");
    cli.add_option("--path", cfg.ws_path, "WebSocket path")->capture_default_str();
    cli.add_flag("--echo", echo, "answer every other message type with a reply of the same type and payload, as "
                                 "bench/peers/hmac_x25519/node.mjs does (the bench's echo server)");
    CLI11_PARSE(cli, argc, argv);
    if (!app::apply_common_options(cfg, common)) return 2;

    hx::options opts;
    if (key_dir.empty()) {
        opts.identity = std::make_shared<hx::node_identity>(hx::node_identity::generate(name, role));
    } else {
        auto loaded = hx::node_identity::load_or_create(key_dir, name, role);
        if (!loaded) {
            std::cerr << "cannot load or create the identity in " << key_dir << ": " << loaded.error().message() << "\n";
            return 2;
        }
        opts.identity = std::make_shared<hx::node_identity>(std::move(*loaded));
    }
    if (!allowlist_file.empty()) {
        auto list = hx::allowlist::load(allowlist_file);
        if (!list) {
            std::cerr << "cannot read the allowlist " << allowlist_file << ": " << list.error().message() << "\n";
            return 2;
        }
        opts.mode = hx::auth_mode::allowlist;
        opts.peers = std::move(*list);
    }
    client_config peer_cfg;
    peer_cfg.tls_ca_file = peer_ca;
    // Peers are peers: a link this node dialled is held to the limits of one it accepted.
    static_cast<connection_limits&>(peer_cfg) = cfg;
    peer_cfg.ping_interval = cfg.ping_interval;
    peer_cfg.pong_timeout = cfg.pong_timeout;
    const auto interval = std::chrono::seconds(std::max(1u, ping_seconds));
    if (app::wants_tls(cfg)) return run_node<wss>(cfg, opts, peers, peer_cfg, interval, echo);
    return run_node<ws>(cfg, opts, peers, peer_cfg, interval, echo);
}
