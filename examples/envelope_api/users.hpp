// envelope_api's user store: in memory, passwords as Argon2id hashes (Botan), hashed on a
// worker thread so a signup or login never stalls the I/O threads.
#pragma once

#include <sealed/net.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <botan/argon2.h>
#include <botan/system_rng.h>

#include <mutex>
#include <string>
#include <unordered_map>

namespace envelope_api {

class user_store {
public:
    enum class outcome { ok, taken, bad_credentials };

    explicit user_store(std::size_t hash_threads = 1) : pool_(hash_threads) {}
    ~user_store() { pool_.join(); }

    sealed::awaitable<outcome> async_signup(const std::string& username, const std::string& password) {
        {
            std::lock_guard lock(mutex_);
            if (users_.count(username)) co_return outcome::taken;
        }
        auto make_hash = [password] { return hash_password(password); };
        auto hash = co_await on_pool(make_hash);
        std::lock_guard lock(mutex_);
        // Two signups for one name may race through the check above: the first insert wins.
        co_return users_.emplace(username, std::move(hash)).second ? outcome::ok : outcome::taken;
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
        const bool match = co_await on_pool(check);
        co_return known && match ? outcome::ok : outcome::bad_credentials;
    }

private:
    // OWASP's Argon2id minimum: 19 MiB, 2 passes, 1 lane.
    static std::string hash_password(const std::string& password) {
        Botan::System_RNG rng;
        return Botan::argon2_generate_pwhash(password.data(), password.size(), rng, 1, 19 * 1024, 2);
    }
    static const std::string& dummy_hash() {
        static const std::string hash = hash_password("not a password anyone has");
        return hash;
    }

    // Runs f on the pool and resumes on the caller's executor. f by reference (ADR-0001).
    template <class F>
    sealed::awaitable<std::invoke_result_t<F&>> on_pool(F& f) {
        using R = std::invoke_result_t<F&>;
        co_return co_await boost::asio::co_spawn(
            pool_, [&f]() -> sealed::awaitable<R> { co_return f(); }, boost::asio::use_awaitable);
    }

    boost::asio::thread_pool pool_;
    std::mutex mutex_;
    std::unordered_map<std::string, std::string> users_;
};

}  // namespace envelope_api
