// stream_chat: the chat server on /stream (ECDH-GCM scheme, PROTOCOLS.md §1), and the web page
// that talks to it at /. Clients join rooms; each chat message goes to the room's other members,
// sealed with each member's own session key.
//   stream_chat --listen 127.0.0.1:9091            # open http://127.0.0.1:9091/
//   stream_chat --listen 0.0.0.0:9443 --tls-self-signed
//   stream_chat --listen 127.0.0.1:9091 --redis redis://127.0.0.1:6379   # one of N processes
// With --redis, processes sharing that Redis are one chat (docs/cluster.md): rooms span them,
// and IGNIS's WebSocketEmitter can publish events to any client (ws:room:<r>, ws:client:<id>,
// ws:user:<id>, ws:broadcast).
// Events (inside `encrypted`): join/leave {"rooms":[…]} → joined {"rooms":[…]};
// chat {"room","name","text"} → chat {…, "from", "time"} to the others; echo → echo back.
#include <sealed/app.hpp>
#include <sealed/cluster/router.hpp>
#include <sealed/ecdh_gcm/scheme.hpp>
#include <sealed/server.hpp>

#include "web_assets.hpp"

#include <boost/json.hpp>

namespace {

namespace json = boost::json;
using scheme = sealed::ecdh_gcm::scheme;

template <class Server>
class chat {
public:
    using connection = typename Server::connection_type;

    chat(Server& server, sealed::cluster::router<Server>& router) : server_(server), router_(router) {}

    sealed::awaitable<void> serve(connection& c) {
        sealed::message_buffer in;
        while (!co_await c.async_receive(in)) {
            auto event = sealed::ecdh_gcm::wire::parse_frame(in.text());
            if (!event) continue;  // the runtime already refused what is not an event
            if (event->event == "echo") {
                if (co_await c.async_send(in.bytes(), sealed::message_kind::text)) break;
            } else if (event->event == "chat") {
                relay(c, event->data);
            } else {
                reply(c, "error", error_data("Unknown event", "unknown_event"));
            }
        }
    }

    // Joins are allowed for any room the runtime accepted; the client hears which.
    std::vector<std::string> on_join(connection& c, std::vector<std::string> rooms) {
        json::array joined(rooms.begin(), rooms.end());
        json::object data;
        data["rooms"] = std::move(joined);
        reply(c, "joined", data);
        return rooms;
    }

private:
    void relay(connection& c, const json::value& data) {
        const auto* fields = data.if_object();
        const auto* room = fields ? fields->if_contains("room") : nullptr;
        const auto* text = fields ? fields->if_contains("text") : nullptr;
        if (!room || !room->is_string() || !text || !text->is_string()) {
            reply(c, "error", error_data("chat needs room and text", "invalid_chat"));
            return;
        }
        const std::string room_name(room->get_string());
        if (!server_.rooms().contains(c.id(), room_name)) {
            reply(c, "error", error_data("Not in room", "not_in_room"));
            return;
        }
        json::object out = *fields;
        out["from"] = c.session_id();
        out["time"] = sealed::ecdh_gcm::wire::iso8601_now();
        // To the room's members on every process but the sender (IGNIS's exclude).
        std::vector<std::string> exclude{c.session_id()};
        router_.to_room(room_name, "chat", out, std::move(exclude));
    }

    static json::object error_data(std::string_view message, std::string_view code) {
        return {{"message", message}, {"code", code}};
    }
    // App replies travel encrypted like every event after `connected`.
    static void reply(connection& c, std::string_view event, const json::value& data) {
        const auto frame = sealed::ecdh_gcm::wire::make_frame(event, data);
        c.send(sealed::bytes(frame.begin(), frame.end()), sealed::message_kind::text);
    }

    Server& server_;
    sealed::cluster::router<Server>& router_;
};

std::optional<sealed::http_response> serve_page(const sealed::http_request& req) {
    if (req.method() != sealed::http::verb::get && req.method() != sealed::http::verb::head) return std::nullopt;
    const auto path = sealed::target_path(req.target());
    for (const auto& asset : stream_chat::web_assets) {
        if (path != asset.path) continue;
        auto res = sealed::make_response(req, sealed::http::status::ok, std::string(asset.body),
                                                 std::string(asset.content_type));
        res.set(sealed::http::field::cache_control, "no-cache");
        return res;
    }
    return std::nullopt;
}

struct cluster_options {
    sealed::app::redis_options redis;  // no URL: one process (the in-process bus)
    std::string server_id;             // empty: a random UUID
};

template <class Family>
int serve(sealed::server_config cfg, scheme::options opts, const cluster_options& cluster) {
    using server_type = sealed::server<Family, scheme>;
    sealed::net::io_context io(static_cast<int>(cfg.threads));
    auto bus = sealed::app::make_bus(io, cluster.redis, cluster.server_id);
    if (!bus) return 2;
    server_type server(io, cfg, opts);
    sealed::cluster::router<server_type> router(server, bus, sealed::ecdh_gcm::wire::make_bus_frame);
    chat app(server, router);
    server.on_metrics([bus] { return bus->prometheus_text(); });
    server.on_session([&app](auto& c) { return app.serve(c); });
    server.on_join([&app](auto& c, std::vector<std::string> rooms) { return app.on_join(c, std::move(rooms)); });
    server.on_http(serve_page);
    return sealed::app::run(io, server, cfg.threads);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"sealed stream_chat: encrypted chat over /stream (ECDH-GCM) with its web page at /"};
    sealed::server_config cfg;
    cfg.ws_path = "/stream";
    cfg.max_message_size = 128 * 1024;  // IGNIS's maxPayloadLength
    // A drop-in for an IGNIS node serves what one serves: IGNIS bounds neither connections nor
    // message rates, so these defaults are wide (docs/schemes/ecdh_gcm.md, "Differences").
    cfg.max_connections = 10000;
    cfg.rate_limit = {1000, 500};
    scheme::options opts;
    sealed::app::common_options common;
    sealed::app::add_common_options(cli, cfg, common);
    cli.add_option("--path", cfg.ws_path, "WebSocket path")->capture_default_str();
    cli.add_option("--hkdf-info", opts.hkdf_info, "HKDF info string")->capture_default_str();
    bool allow_plaintext = false;
    cli.add_flag("--allow-plaintext", allow_plaintext, "requireEncryption off: clients may skip the key exchange");
    cli.add_flag("--ignis-clear-events", opts.ignis.clear_events_after_key,
                 "IGNIS's behaviour: serve events sent in clear by a client that has a key (default: close 4004)");
    cli.add_flag("--ignis-sealed-errors", opts.ignis.sealed_errors,
                 "IGNIS's behaviour: seal the runtime's error events after the handshake (default: in clear)");
    cluster_options cluster;
    sealed::app::add_redis_options(cli, cluster.redis, "share rooms and events with the other processes");
    sealed::app::add_bus_key_option(cli, cluster.redis);
    cli.add_option("--server-id", cluster.server_id, "this process's serverId on the bus (default: a random UUID)");
    CLI11_PARSE(cli, argc, argv);
    if (!sealed::app::apply_common_options(cfg, common)) return 2;
    sealed::app::fit_default_max_connections(cli, cfg);
    opts.require_encryption = !allow_plaintext;

    if (sealed::app::wants_tls(cfg)) return serve<sealed::wss>(cfg, opts, cluster);
    return serve<sealed::ws>(cfg, opts, cluster);
}
