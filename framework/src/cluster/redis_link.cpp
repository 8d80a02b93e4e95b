#include "redis_link.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>

#include <hiredis/hiredis.h>

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
        auto [ec, n] = co_await socket_->async_read_some(net::buffer(buffer), use_tuple);
        if (ec) co_return ec;
        if (redisReaderFeed(reader_.get(), buffer.data(), n) != REDIS_OK) co_return errc::protocol_violation;
    }
}

awaitable<error_code> link::handshake(const config& cfg, bool select_db, std::string& detail) {
    co_await net::this_coro::throw_if_cancelled(false);
    net::ip::tcp::resolver resolver(strand_);
    const std::string service = std::to_string(cfg.port);
    auto [rec, endpoints] = co_await resolver.async_resolve(cfg.host, service, use_tuple);
    if (rec) co_return rec;
    if (close_reason_) co_return close_reason_;
    auto [cec, endpoint] = co_await net::async_connect(*socket_, endpoints, use_tuple);
    if (cec) co_return cec;
    error_code ignored;
    socket_->set_option(net::ip::tcp::no_delay(true), ignored);

    std::string wire;
    const bool auth = !cfg.password.empty();
    if (auth && cfg.username.empty()) {
        const std::array<std::string_view, 2> args{"AUTH", cfg.password};
        wire += format_command(args);
    } else if (auth) {
        const std::array<std::string_view, 3> args{"AUTH", cfg.username, cfg.password};
        wire += format_command(args);
    }
    const bool select = select_db && cfg.db != 0;
    const std::string db = std::to_string(cfg.db);
    if (select) {
        const std::array<std::string_view, 2> args{"SELECT", db};
        wire += format_command(args);
    }
    const std::array<std::string_view, 1> ping{"PING"};
    wire += format_command(ping);
    auto [wec, written] = co_await net::async_write(*socket_, net::buffer(wire), use_tuple);
    if (wec) co_return wec;

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
    co_return error_code{};
}

awaitable<error_code> link::open(const config& cfg, bool select_db, std::string& detail) {
    using namespace net::experimental::awaitable_operators;
    co_await net::this_coro::throw_if_cancelled(false);
    close_reason_ = {};
    reader_ = make_reader();
    outbox_.clear();
    socket_.emplace(strand_);

    // The whole handshake shares one deadline: a Redis that accepts but never answers (stopped
    // with SIGSTOP, a black-holed route) must not hold the reconnect loop.
    net::steady_timer deadline(strand_, cfg.connect_timeout);
    auto steps = handshake(cfg, select_db, detail);
    auto outcome = co_await (std::move(steps) || deadline.async_wait(use_tuple));
    error_code ec = outcome.index() == 1 ? error_code(errc::redis_timeout) : std::get<0>(outcome);
    if (close_reason_) ec = close_reason_;
    if (ec) {
        error_code ignored;
        socket_->close(ignored);
        socket_.reset();
        co_return ec;
    }
    up_ = true;
    co_return error_code{};
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
    error_code ignored;
    socket_->close(ignored);
    socket_.reset();
    outbox_.clear();
    co_return why;
}

awaitable<error_code> link::read_loop(const std::function<error_code(reply&&)>& on_reply) {
    co_await net::this_coro::throw_if_cancelled(false);
    std::vector<char> buffer(read_chunk);
    // Replies that came with the handshake's last read.
    if (auto ec = drain_replies(*reader_, on_reply)) co_return ec;
    for (;;) {
        auto [ec, n] = co_await socket_->async_read_some(net::buffer(buffer), use_tuple);
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
        auto [ec, n] = co_await net::async_write(*socket_, net::buffer(sending), use_tuple);
        if (ec) co_return ec;
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
    if (socket_) {
        error_code ignored;
        socket_->close(ignored);
    }
    wake_.cancel();
}

std::chrono::milliseconds jittered(std::chrono::milliseconds d) {
    static thread_local std::minstd_rand rng{std::random_device{}()};
    std::uniform_real_distribution<double> spread(0.8, 1.2);
    return std::chrono::milliseconds(static_cast<long long>(static_cast<double>(d.count()) * spread(rng)));
}

}  // namespace sealed::redis::detail
