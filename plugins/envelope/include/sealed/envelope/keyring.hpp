// Server keys: long-term P-256 keys in a key directory, the rotation roles (current, next,
// previous-in-grace), the JWKS they publish, and the client's view of that JWKS.
//
// Key directory: one PKCS#8 PEM file per key, `<kid>.pem` (0600), and `keyring.json`
//   {"current":"<kid>","next":"<kid>"|null,"previous":[{"kid":"<kid>","until":<ms>}]}
// Files are replaced by rename, so a server reloading the directory never reads half a file.
#pragma once

#include <sealed/crypto/ecdh.hpp>
#include <sealed/envelope/error.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealed::envelope {

using wall_clock = std::chrono::system_clock;

// RFC 7638 thumbprint: base64url(SHA-256(`{"crv":"P-256","kty":"EC","x":"…","y":"…"}`)).
std::string jwk_thumbprint(const crypto::p256_public_key& key);
// `{"kty":"EC","crv":"P-256","x":"…","y":"…","kid":"…","use":"enc"}`
std::string public_jwk(const crypto::p256_public_key& key, std::string_view kid);

struct server_key {
    std::string kid;
    crypto::p256_private_key key;
};

// An immutable snapshot of the keys a server accepts. Cheap to share between threads.
class keyring {
public:
    struct previous_key {
        std::shared_ptr<const server_key> key;
        wall_clock::time_point until;  // accepted up to this time
    };

    explicit keyring(std::shared_ptr<const server_key> current, std::shared_ptr<const server_key> next = nullptr,
                     std::vector<previous_key> previous = {});

    const server_key& current() const noexcept { return *current_; }
    const server_key* next() const noexcept { return next_.get(); }
    const std::vector<previous_key>& previous() const noexcept { return previous_; }
    // The key `kid` names if it is still accepted at `now`: current, next, or a previous one
    // within its grace period.
    const server_key* find(std::string_view kid, wall_clock::time_point now) const noexcept;
    // `{"keys":[current, next]}`; previous keys are accepted but no longer published.
    const std::string& jwks() const noexcept { return jwks_; }

private:
    std::shared_ptr<const server_key> current_;
    std::shared_ptr<const server_key> next_;
    std::vector<previous_key> previous_;
    std::string jwks_;
};

std::shared_ptr<const server_key> make_server_key(crypto::p256_private_key key);

// PKCS#8 PEM ("PRIVATE KEY"); reading also takes SEC1 "EC PRIVATE KEY" files from OpenSSL tools.
std::string to_pkcs8_pem(const crypto::p256_private_key& key);
result<crypto::p256_private_key> from_pem(std::string_view pem);

// Key directory operations, for the `keygen` / `rotate` subcommands. Each writes by rename.
namespace key_directory {
// Creates the directory (0700) with a first key as `current` unless keyring.json exists.
// Returns the current kid.
result<std::string> ensure(const std::filesystem::path& dir);
result<keyring> load(const std::filesystem::path& dir);
// Generates a key and publishes it as `next` (replacing an unused next). Returns its kid.
result<std::string> add_next(const std::filesystem::path& dir);
// current → previous (accepted for `grace`), next → current (a new one when there is none).
// Returns the new current kid.
result<std::string> promote(const std::filesystem::path& dir, std::chrono::milliseconds grace);
// Removes a previous key and its file: removal is explicit, not a side effect of time.
error_code retire(const std::filesystem::path& dir, std::string_view kid);
}  // namespace key_directory

// The server's live keyring: a snapshot swapped in whole when the directory changes.
class key_store {
public:
    explicit key_store(keyring initial, std::filesystem::path dir = {});
    std::shared_ptr<const keyring> snapshot() const;
    void replace(keyring next);
    // Reloads from the directory when keyring.json's content changed since the last load. A directory
    // that fails to load keeps the old keys (and returns the error, for the log).
    result<bool> reload_if_changed();

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const keyring> current_;
    std::filesystem::path dir_;
    std::string loaded_ring_text_;  // keyring.json as last loaded
};

// A client's view: the keys a JWKS publishes, validated (P-256 point, kid = thumbprint).
struct server_public_key {
    std::string kid;
    crypto::p256_public_key key;
};
result<std::vector<server_public_key>> parse_jwks(std::string_view json);

}  // namespace sealed::envelope
