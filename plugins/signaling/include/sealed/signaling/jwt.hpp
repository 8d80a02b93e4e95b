// Signed grants for peer ids (issue 30): the PeerJS `token` is a JWT whose `sub` is the peer id,
// so nobody can register someone else's id. Compact JWS with HS256 (a shared secret) or ES256
// (P-256 public keys, PEM); `exp` required, `nbf` honoured, both with a small leeway. Each
// algorithm checks only against keys of its own kind: an HS256 token is never checked with a
// public key as its secret, and "none" is refused.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/error.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sealed::signaling {

class jwt_verifier {
public:
    struct options {
        std::vector<secure_bytes> hs256_secrets;  // any of them may have signed
        std::string es256_public_keys_pem;         // one or more "BEGIN PUBLIC KEY" blocks
        std::chrono::seconds leeway{30};           // clock skew allowed on exp and nbf
        std::size_t max_token_size = 4096;
    };

    // errc::invalid_key when no key is given, a PEM block is not a P-256 public key, or a secret
    // is shorter than 32 bytes; `why` says which.
    static result<std::shared_ptr<const jwt_verifier>> make(options opts, std::string* why = nullptr);
    // A secret from a file: its bytes, a final newline dropped.
    static result<secure_bytes> read_secret(const std::filesystem::path& file);

    ~jwt_verifier();

    // nullopt when `token` grants `id` at `now`; otherwise why not, in a few words ("expired",
    // "sub is not this id", "bad signature" ...).
    std::optional<std::string> check(std::string_view token, std::string_view id,
                                     std::chrono::system_clock::time_point now) const;
    std::optional<std::string> check(std::string_view token, std::string_view id) const {
        return check(token, id, std::chrono::system_clock::now());
    }

private:
    struct es256_keys;
    jwt_verifier(options opts, std::unique_ptr<es256_keys> keys);
    bool verify_es256(std::string_view signed_part, const_bytes signature) const;

    options opts_;
    std::unique_ptr<es256_keys> es256_;
};

}  // namespace sealed::signaling
