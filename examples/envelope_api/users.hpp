// envelope_api's user store: in memory, passwords as Argon2id hashes (Botan), hashed on a
// worker thread so a signup or login never stalls the I/O threads. Anyone can seal a login (the
// key is public), so the hashes waiting for the worker are bounded: past max_pending a signup
// or login is answered `busy` at once instead of queueing behind an attacker's.
#pragma once

#include <sealed/net.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <botan/argon2.h>
#include <botan/system_rng.h>

#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>

namespace envelope_api {

class user_store {
public:
    enum class outcome { ok, taken, bad_credentials, busy };

    explicit user_store(std::size_t hash_threads = 1, std::size_t max_pending = 8)
        : pool_(hash_threads), max_pending_(max_pending) {}
    ~user_store() { pool_.join(); }

    sealed::awaitable<outcome> async_signup(const std::string& username, const std::string& password) {
        {
            std::lock_guard lock(mutex_);
            if (users_.count(username)) co_return outcome::taken;
        }
        auto make_hash = [password] { return hash_password(password); };
        auto hash = co_await on_pool(make_hash);
        if (!hash) co_return outcome::busy;
        std::lock_guard lock(mutex_);
        // Two signups for one name may race through the check above: the first insert wins.
        co_return users_.emplace(username, std::move(*hash)).second ? outcome::ok : outcome::taken;
    }

    sealed::awaitable<outcome> async_login(const std::string& username, const std::string& password) {
        std::string hash;
        bool known = false;
        {
            std::lock_guard lock(mutex_);
            auto it = users_.find(username);
            known = it != users_.end();
            // An unknown name is checked against a dummy hash: the same work, so the time of
            // the answer does not tell which names exist.
            hash = known ? it->second : dummy_hash();
        }
        auto check = [password, hash] { return Botan::argon2_check_pwhash(password.data(), password.size(), hash); };
        const auto match = co_await on_pool(check);
        if (!match) co_return outcome::busy;
        co_return known && *match ? outcome::ok : outcome::bad_credentials;
    }

    // OWASP's Argon2id minimum: 19 MiB, 2 passes, 1 lane. What one login costs the worker is
    // bench/'s `request/envelope_api_login` (docs/benchmarks.md).
    static constexpr std::size_t argon2_memory_kib = 19 * 1024, argon2_passes = 2, argon2_lanes = 1;
    static std::string hash_password(const std::string& password) {
        Botan::System_RNG rng;
        return Botan::argon2_generate_pwhash(password.data(), password.size(), rng, argon2_lanes, argon2_memory_kib,
                                             argon2_passes);
    }

private:
    static const std::string& dummy_hash() {
        static const std::string hash = hash_password("not a password anyone has");
        return hash;
    }

    // Runs f on the pool and resumes on the caller's executor; nullopt without running it when
    // max_pending hashes are already waiting or running. f by reference (ADR-0001).
    template <class F>
    sealed::awaitable<std::optional<std::invoke_result_t<F&>>> on_pool(F& f) {
        using R = std::invoke_result_t<F&>;
        if (pending_.fetch_add(1) >= max_pending_) {
            pending_.fetch_sub(1);
            co_return std::nullopt;
        }
        auto r = co_await boost::asio::co_spawn(
            pool_, [&f]() -> sealed::awaitable<R> { co_return f(); }, boost::asio::use_awaitable);
        pending_.fetch_sub(1);
        co_return r;
    }

    boost::asio::thread_pool pool_;
    std::size_t max_pending_;
    std::atomic<std::size_t> pending_{0};
    std::mutex mutex_;
    std::unordered_map<std::string, std::string> users_;
};

}  // namespace envelope_api
