#include <sealed/envelope/error.hpp>

#include <sealed/error_table.hpp>

namespace sealed::envelope {
namespace {

using C = condition;
constexpr error_entry<error> errors[] = {
    {error::body_too_large, "body_too_large", "request body over the size limit", C::resource_exhausted},
    {error::malformed_envelope, "malformed_envelope", "not an envelope: a field is missing, of the wrong type or size", C::protocol_violation},
    {error::unsupported_version, "unsupported_version", "unsupported envelope version", C::handshake_failed},
    {error::unknown_kid, "unknown_kid", "no server key has this kid (fetch /.well-known/sealed-keys again)", C::authentication_failed},
    {error::stale_timestamp, "stale_timestamp", "timestamp outside the accepted window", C::authentication_failed},
    {error::invalid_public_key, "invalid_public_key", "epk is not a valid P-256 point", C::authentication_failed},
    {error::decrypt_failed, "decrypt_failed", "the envelope does not decrypt (tampered or wrong key)", C::authentication_failed},
    {error::replayed_nonce, "replayed_nonce", "this nonce was already used", C::authentication_failed},
    {error::replay_store_unavailable, "replay_store_unavailable", "the replay store is unavailable; try again later", std::nullopt},
    {error::not_found, "not_found", "no such route", C::protocol_violation},
    {error::method_not_allowed, "method_not_allowed", "method not allowed on this route", C::protocol_violation},
    {error::bad_key_file, "bad_key_file", "key directory file is malformed", std::nullopt},
};

const table_category<error>& category() noexcept {
    static const table_category<error> instance("sealed.envelope", errors);
    return instance;
}

}  // namespace

const boost::system::error_category& error_category() noexcept { return category(); }

std::string_view code_of(error e) noexcept {
    const auto* entry = category().find(static_cast<int>(e));
    return entry ? entry->name : "internal_error";
}

unsigned http_status_of(error e) noexcept {
    switch (e) {
    case error::body_too_large: return 413;
    case error::stale_timestamp:
    case error::decrypt_failed: return 401;
    case error::replayed_nonce: return 409;
    case error::replay_store_unavailable: return 503;
    case error::not_found: return 404;
    case error::method_not_allowed: return 405;
    case error::bad_key_file: return 500;
    default: return 400;
    }
}

std::optional<error> error_from_code(std::string_view code) noexcept {
    for (int e = static_cast<int>(error::body_too_large); e <= static_cast<int>(error::bad_key_file); ++e)
        if (code_of(static_cast<error>(e)) == code) return static_cast<error>(e);
    return std::nullopt;
}

error refusal_of(const error_code& ec) noexcept {
    if (ec.category() == error_category()) return static_cast<error>(ec.value());
    if (ec == errc::invalid_public_key) return error::invalid_public_key;
    if (ec == errc::decrypt_failed) return error::decrypt_failed;
    return error::malformed_envelope;
}

}  // namespace sealed::envelope
