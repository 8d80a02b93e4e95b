#include <sealed/noise/error.hpp>

#include <sealed/error_table.hpp>

namespace sealed::noise {
namespace {

using C = condition;
constexpr error_entry<error> errors[] = {
    {error::bad_frame, "bad_frame", "not a sequence of length-prefixed Noise messages", C::protocol_violation},
    {error::peer_not_allowed, "peer_not_allowed", "the peer's static key is not on the allowlist", C::handshake_failed},
    {error::unexpected_peer, "unexpected_peer", "the server's static key is not the pinned one", C::authentication_failed},
    {error::bad_static_key_file, "bad_static_key_file", "static key file is not 64 hex characters", std::nullopt},
    {error::bad_allowlist_line, "bad_allowlist_line", "allowlist line is not a 64-hex-character public key", std::nullopt},
    {error::no_static_key, "no_static_key", "the pattern sends a static key and none is configured", std::nullopt},
};

const table_category<error>& category() noexcept {
    static const table_category<error> instance("sealed.noise", errors);
    return instance;
}

}  // namespace

const boost::system::error_category& error_category() noexcept { return category(); }

}  // namespace sealed::noise
