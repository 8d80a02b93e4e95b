// Keeps a TLS server's certificate current while app::run serves: on SIGHUP, and when the
// certificate, key or client CA file changes (looked at every two seconds), srv.reload_tls()
// puts the renewed files in service and a log line says so — or says why not, the old pair still serving.
// A certificate written before its key fails once (they do not match) and succeeds when the key
// lands.
#pragma once

#include <sealed/error.hpp>
#include <sealed/log.hpp>
#include <sealed/net.hpp>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <array>

namespace sealed::detail {

template <class Server>
class tls_reloader {
public:
    tls_reloader(net::io_context& io, Server& srv, std::chrono::milliseconds every = std::chrono::seconds(2))
        : srv_(srv), signal_(io), timer_(io), every_(every) {
        const auto& cfg = srv.config();
        if (cfg.tls_cert.empty() || cfg.tls_context) return;  // no files to follow
        signal_.add(SIGHUP);
        wait_for_signal();
        stamps_ = stamps();
        poll();
    }
    tls_reloader(const tls_reloader&) = delete;
    tls_reloader& operator=(const tls_reloader&) = delete;

private:
    using file_stamps = std::array<std::filesystem::file_time_type, 3>;

    void wait_for_signal() {
        signal_.async_wait([this](const error_code& ec, int) {
            if (ec) return;
            reload("SIGHUP");
            wait_for_signal();
        });
    }
    void poll() {
        timer_.expires_after(every_);
        timer_.async_wait([this](const error_code& ec) {
            if (ec) return;
            if (auto now = stamps(); now != stamps_) {
                stamps_ = now;
                reload("the files changed");
            }
            poll();
        });
    }
    void reload(const char* why) {
        if (auto ec = srv_.reload_tls())
            log::get("app").error("TLS certificate not reloaded ({}): {}; the previous one still serves", why, ec.message());
        else
            log::get("app").info("TLS certificate reloaded ({}) from {}", why, srv_.config().tls_cert);
    }
    file_stamps stamps() const {
        std::error_code ec;  // a file being replaced may be missing for a moment: no change yet
        const auto& cfg = srv_.config();
        return {std::filesystem::last_write_time(cfg.tls_cert, ec), std::filesystem::last_write_time(cfg.tls_key, ec),
                cfg.tls_client_ca.empty() ? std::filesystem::file_time_type{}
                                          : std::filesystem::last_write_time(cfg.tls_client_ca, ec)};
    }

    Server& srv_;
    net::signal_set signal_;
    net::steady_timer timer_;
    std::chrono::milliseconds every_;
    file_stamps stamps_;
};

}  // namespace sealed::detail
