#include "redis_link.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>

#include <sealed/tls.hpp>

#include <hiredis/hiredis.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <array>
#include <random>
#include <vector>

namespace sealed::redis::detail {
namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t read_chunk = 16 * 1024;

reply to_reply(const redisReply& r) {
    reply out;
    switch (r.type) {
    case REDIS_REPLY_STATUS: out.type = reply_type::status; break;
    case REDIS_REPLY_ERROR: out.type = reply_type::error; break;
    case REDIS_REPLY_INTEGER: out.type = reply_type::integer; break;
    case REDIS_REPLY_STRING: out.type = reply_type::string; break;
    case REDIS_REPLY_ARRAY: out.type = reply_type::array; break;
    default: out.type = reply_type::nil; break;
    }
    if (r.type == REDIS_REPLY_INTEGER) out.integer = r.integer;
    if (r.str != nullptr && (r.type == REDIS_REPLY_STATUS || r.type == REDIS_REPLY_ERROR || r.type == REDIS_REPLY_STRING))
        out.str.assign(r.str, r.len);
    if (r.type == REDIS_REPLY_ARRAY) {
        out.elements.reserve(r.elements);
        for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(to_reply(*r.element[i]));
    }
    return out;
}

// The next complete reply in `reader`, nullopt when it needs more bytes.
result<std::optional<reply>> next_reply(redisReader& reader) {
    void* raw = nullptr;
    if (redisReaderGetReply(&reader, &raw) != REDIS_OK) return make_error_code(errc::protocol_violation);
    if (raw == nullptr) return std::optional<reply>{};
    std::optional<reply> out = to_reply(*static_cast<redisReply*>(raw));
    freeReplyObject(raw);
    return out;
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

std::string format_command(std::span<const std::string_view> args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (auto a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    char* formatted = nullptr;
    const int n = redisFormatCommandArgv(&formatted, static_cast<int>(args.size()), argv.data(), lengths.data());
    if (n < 0 || formatted == nullptr) throw std::bad_alloc();  // the formatter fails only without memory
    std::string out(formatted, static_cast<std::size_t>(n));
    redisFreeCommand(formatted);
    return out;
}

void reader_deleter::operator()(redisReader* r) const noexcept { redisReaderFree(r); }

reader_ptr make_reader() {
    reader_ptr r(redisReaderCreate());
    if (!r) throw std::bad_alloc();
    return r;
}

error_code drain_replies(redisReader& reader, const std::function<error_code(reply&&)>& on_reply) {
    for (;;) {
        auto next = next_reply(reader);
        if (!next) return next.error();
        if (!*next) return {};
        if (auto ec = on_reply(std::move(**next))) return ec;
    }
}

awaitable<result<reply>> link::read_one() {
    std::vector<char> buffer(read_chunk);
    for (;;) {
        auto next = next_reply(*reader_);
        if (!next) co_return next.error();
        if (*next) co_return std::move(**next);
        auto reading = read_some(net::buffer(buffer));  // named: ADR-0001
        auto [ec, n] = co_await std::move(reading);
        if (ec) co_return ec;
        if (redisReaderFeed(reader_.get(), buffer.data(), n) != REDIS_OK) co_return errc::protocol_violation;
    }
}

awaitable<std::tuple<error_code, std::size_t>> link::read_some(net::mutable_buffer b) {
    if (tls_) co_return co_await tls_->async_read_some(b, use_tuple);
    co_return co_await socket_->async_read_some(b, use_tuple);
}

awaitable<error_code> link::write_all(std::string_view bytes) {
    const auto buffer = net::buffer(bytes.data(), bytes.size());
    if (tls_) {
        auto [ec, n] = co_await net::async_write(*tls_, buffer, use_tuple);
        co_return ec;
    }
    auto [ec, n] = co_await net::async_write(*socket_, buffer, use_tuple);
    co_return ec;
}

// TCP, then TLS when configured: SNI and the name check for a DNS name, an iPAddress check for
// an address literal.
awaitable<error_code> link::connect(const config& cfg) {
    co_await net::this_coro::throw_if_cancelled(false);
    net::ip::tcp::resolver resolver(strand_);
    const std::string service = std::to_string(cfg.port);
    auto [rec, endpoints] = co_await resolver.async_resolve(cfg.host, service, use_tuple);
    if (rec) co_return rec;
    if (close_reason_) co_return close_reason_;
    auto [cec, endpoint] = co_await net::async_connect(socket(), endpoints, use_tuple);
    if (cec) co_return cec;
    error_code ignored;
    socket().set_option(net::ip::tcp::no_delay(true), ignored);
    if (!tls_) co_return error_code{};

    const std::string& name = cfg.tls.server_name.empty() ? cfg.host : cfg.tls.server_name;
    SSL* ssl = tls_->native_handle();
    error_code not_address;
    net::ip::make_address(name, not_address);
    if (!not_address) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str());
    } else {
        SSL_set_tlsext_host_name(ssl, name.c_str());
        SSL_set1_host(ssl, name.c_str());
    }
    auto [hec] = co_await tls_->async_handshake(net::ssl::stream_base::client, use_tuple);
    co_return hec;
}

awaitable<error_code> link::handshake(const config& cfg, link_role role, std::string& detail) {
    co_await net::this_coro::throw_if_cancelled(false);
    auto connecting = connect(cfg);
    if (auto ec = co_await std::move(connecting)) {
        if (tls_ && ec.category() == net::error::get_ssl_category())
            detail = "TLS: " + ec.message() + " (" + (cfg.tls.server_name.empty() ? cfg.host : cfg.tls.server_name) + ")";
        co_return ec;
    }

    std::string wire;
    const bool auth = !cfg.password.empty();
    if (auth && cfg.username.empty()) {
        const std::array<std::string_view, 2> args{"AUTH", cfg.password};
        wire += format_command(args);
    } else if (auth) {
        const std::array<std::string_view, 3> args{"AUTH", cfg.username, cfg.password};
        wire += format_command(args);
    }
    const bool select = role == link_role::command && cfg.db != 0;
    const std::string db = std::to_string(cfg.db);
    if (select) {
        const std::array<std::string_view, 2> args{"SELECT", db};
        wire += format_command(args);
    }
    const std::array<std::string_view, 1> ping{"PING"};
    wire += format_command(ping);
    // Behind Sentinel the address may be stale (a demoted primary): ask the server itself.
    const bool check_role = role != link_role::sentinel && !cfg.sentinel.nodes.empty();
    if (check_role) {
        const std::array<std::string_view, 1> args{"ROLE"};
        wire += format_command(args);
    }
    auto writing = write_all(wire);
    if (auto wec = co_await std::move(writing)) co_return wec;

    if (auth) {
        auto r = co_await read_one();
        if (!r) co_return r.error();
        if (r->is_error()) {
            detail = r->str;
            co_return errc::redis_auth_failed;
        }
    }
    if (select) {
        auto r = co_await read_one();
        if (!r) co_return r.error();
        if (r->is_error()) {
            detail = "SELECT " + db + ": " + r->str;
            co_return errc::redis_error;
        }
    }
    auto pong = co_await read_one();
    if (!pong) co_return pong.error();
    if (pong->is_error()) {
        detail = pong->str;  // NOAUTH when the server wants a password, LOADING while it starts
        co_return starts_with(pong->str, "NOAUTH") ? errc::redis_auth_failed : errc::redis_error;
    }
    if (check_role) {
        auto r = co_await read_one();
        if (!r) co_return r.error();
        const bool primary = r->type == reply_type::array && !r->elements.empty() && r->elements[0].str == "master";
        if (!primary) {
            detail = "not a primary (ROLE " + (r->elements.empty() ? r->str : r->elements[0].str) + ")";
            co_return errc::redis_error;
        }
    }
    co_return error_code{};
}

awaitable<error_code> link::open(const config& cfg, link_role role, std::string& detail) {
    using namespace net::experimental::awaitable_operators;
    co_await net::this_coro::throw_if_cancelled(false);
    close_reason_ = {};
    reader_ = make_reader();
    outbox_.clear();
    if (tls_context_)
        tls_.emplace(strand_, *tls_context_);
    else
        socket_.emplace(strand_);

    // The whole handshake shares one deadline: a Redis that accepts but never answers (stopped
    // with SIGSTOP, a black-holed route) must not hold the reconnect loop.
    net::steady_timer deadline(strand_, cfg.connect_timeout);
    auto steps = handshake(cfg, role, detail);
    auto outcome = co_await (std::move(steps) || deadline.async_wait(use_tuple));
    error_code ec = outcome.index() == 1 ? error_code(errc::redis_timeout) : std::get<0>(outcome);
    if (close_reason_) ec = close_reason_;
    if (ec) {
        drop_socket();
        co_return ec;
    }
    up_ = true;
    co_return error_code{};
}

awaitable<result<reply>> link::query(std::span<const std::string_view> args, std::chrono::milliseconds limit) {
    using namespace net::experimental::awaitable_operators;
    co_await net::this_coro::throw_if_cancelled(false);
    const std::string wire = format_command(args);
    net::steady_timer deadline(strand_, limit);
    auto ask = [this, &wire]() -> awaitable<result<reply>> {
        auto writing = write_all(wire);
        if (auto ec = co_await std::move(writing)) co_return ec;
        co_return co_await read_one();
    };
    auto asking = ask();
    auto outcome = co_await (std::move(asking) || deadline.async_wait(use_tuple));
    if (outcome.index() == 1) co_return make_error_code(errc::redis_timeout);
    co_return std::move(std::get<0>(outcome));
}

void link::drop_socket() noexcept {
    error_code ignored;
    if (connected()) socket().close(ignored);
    socket_.reset();
    tls_.reset();
}

awaitable<error_code> link::serve(const std::function<error_code(reply&&)>& on_reply) {
    using namespace net::experimental::awaitable_operators;
    co_await net::this_coro::throw_if_cancelled(false);
    auto reading = read_loop(on_reply);
    auto writing = write_loop();
    auto ended = co_await (std::move(reading) || std::move(writing));
    error_code why = ended.index() == 0 ? std::get<0>(ended) : std::get<1>(ended);
    if (close_reason_) why = close_reason_;
    if (!why) why = net::error::eof;
    up_ = false;
    drop_socket();
    outbox_.clear();
    co_return why;
}

awaitable<error_code> link::read_loop(const std::function<error_code(reply&&)>& on_reply) {
    co_await net::this_coro::throw_if_cancelled(false);
    std::vector<char> buffer(read_chunk);
    // Replies that came with the handshake's last read.
    if (auto ec = drain_replies(*reader_, on_reply)) co_return ec;
    for (;;) {
        auto reading = read_some(net::buffer(buffer));
        auto [ec, n] = co_await std::move(reading);
        if (ec) co_return ec;
        if (redisReaderFeed(reader_.get(), buffer.data(), n) != REDIS_OK) co_return errc::protocol_violation;
        if (auto err = drain_replies(*reader_, on_reply)) co_return err;
    }
}

awaitable<error_code> link::write_loop() {
    co_await net::this_coro::throw_if_cancelled(false);
    std::string sending;
    for (;;) {
        while (outbox_.empty()) {
            wake_.expires_at(net::steady_timer::time_point::max());
            co_await wake_.async_wait(use_tuple);
            auto cs = co_await net::this_coro::cancellation_state;
            if (cs.cancelled() != net::cancellation_type::none) co_return net::error::operation_aborted;
            if (close_reason_) co_return close_reason_;
        }
        // Everything queued so far goes out as one write; what is queued meanwhile, in the next.
        sending.clear();
        sending.swap(outbox_);
        auto writing = write_all(sending);
        if (auto ec = co_await std::move(writing)) co_return ec;
    }
}

void link::send(std::string_view wire) {
    if (!up_) return;
    outbox_.append(wire);
    wake_.cancel();
}

void link::close(error_code why) {
    if (!close_reason_) close_reason_ = why;
    up_ = false;  // nothing more is queued on a link that is going down
    if (connected()) {
        error_code ignored;
        socket().close(ignored);
    }
    wake_.cancel();
}

result<std::shared_ptr<net::ssl::context>> make_tls_context(const tls_options& tls, std::string& detail) {
    tls::client_options opts;
    opts.ca_file = tls.ca_file;
    auto ctx = tls::make_client_context(opts);
    if (!ctx) {
        detail = tls.ca_file.empty() ? "the system's trust store does not load" : "no CA certificate in " + tls.ca_file;
        return ctx.error();
    }
    if (tls.cert_file.empty() != tls.key_file.empty()) {
        detail = "a client certificate needs both the certificate and the key file";
        return make_error_code(errc::invalid_argument);
    }
    if (!tls.cert_file.empty()) {
        error_code ec;
        ctx->use_certificate_chain_file(tls.cert_file, ec);
        if (!ec) ctx->use_private_key_file(tls.key_file, net::ssl::context::pem, ec);
        if (ec || SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
            detail = "client certificate " + tls.cert_file + " and key " + tls.key_file + " do not load or match";
            return make_error_code(errc::invalid_key);
        }
    }
    return std::make_shared<net::ssl::context>(std::move(*ctx));
}

}  // namespace sealed::redis::detail

namespace sealed::redis {

error_code check_tls_files(const tls_options& tls, std::string& why) {
    auto ctx = detail::make_tls_context(tls, why);
    return ctx ? error_code{} : ctx.error();
}

}  // namespace sealed::redis

namespace sealed::redis::detail {

std::chrono::milliseconds jittered(std::chrono::milliseconds d) {
    static thread_local std::minstd_rand rng{std::random_device{}()};
    std::uniform_real_distribution<double> spread(0.8, 1.2);
    return std::chrono::milliseconds(static_cast<long long>(static_cast<double>(d.count()) * spread(rng)));
}

}  // namespace sealed::redis::detail
