// echo_server: the smallest sealed server. Every message a client sends comes back to it.
//   echo_server --listen 127.0.0.1:9091            # ws://127.0.0.1:9091/ws
//   echo_server --listen 127.0.0.1:9443 --tls-self-signed   # wss://…
//   echo_server --transport tcp --listen 127.0.0.1:9092     # length-prefixed TCP
//   echo_server --http-echo --path /api/echo       # also answers each POST with its body
// It uses the plaintext scheme: swap in any other scheme (e.g. sealed::ecdh_gcm::scheme) and
// nothing else changes.
#include <sealed/app.hpp>
#include <sealed/plaintext/scheme.hpp>
#include <sealed/server.hpp>

#include <iostream>

namespace {

using scheme = sealed::plaintext::scheme;

template <class Channel>
sealed::awaitable<void> echo(Channel& channel) {
    sealed::message_buffer message;
    while (!co_await channel.async_receive(message))
        if (co_await channel.async_send(message.bytes(), message.kind())) break;
}

// A POST's body back as it came: the plaintext ceiling of the envelope's HTTP requests (the same
// HTTP path, no sealing).
std::optional<sealed::http_response> echo_post(const sealed::http_request& req) {
    if (req.method() != sealed::http::verb::post) return std::nullopt;
    return sealed::make_response(req, sealed::http::status::ok, req.body(), "application/octet-stream");
}

template <class Family>
int serve(sealed::server_config cfg, bool http_echo) {
    sealed::net::io_context io(static_cast<int>(cfg.threads));
    sealed::server<Family, scheme> server(io, cfg);
    server.on_session([](auto& channel) { return echo(channel); });
    if (http_echo) server.on_http(echo_post);
    return sealed::app::run(io, server, cfg.threads);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"sealed echo server (plaintext scheme)"};
    sealed::server_config cfg;
    sealed::app::common_options common;
    std::string transport = "ws";
    bool http_echo = false;
    sealed::app::add_common_options(cli, cfg, common);
    cli.add_option("--transport", transport, "ws (wss when TLS is set) or tcp")
        ->check(CLI::IsMember({"ws", "tcp"}))->capture_default_str();
    cli.add_option("--path", cfg.ws_path, "WebSocket path")->capture_default_str();
    cli.add_flag("--http-echo", http_echo, "answer every HTTP POST with its body (ws and wss)");
    CLI11_PARSE(cli, argc, argv);
    if (!sealed::app::apply_common_options(cfg, common)) return 2;

    if (transport == "tcp") return serve<sealed::tcp>(cfg, false);
    if (sealed::app::wants_tls(cfg)) return serve<sealed::wss>(cfg, http_echo);
    return serve<sealed::ws>(cfg, http_echo);
}
