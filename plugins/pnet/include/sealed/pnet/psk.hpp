// libp2p private-network pre-shared keys (PROTOCOLS.md §4): the PSK file format, tenant keys
// derived from a master secret and a DID, and the key's fingerprint for logs.
//   /key/swarm/psk/1.0.0/
//   /base16/
//   <64 hex digits>
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/pnet/error.hpp>

#include <array>
#include <string>
#include <string_view>

namespace sealed::pnet {

inline constexpr std::size_t psk_size = 32;
inline constexpr std::string_view psk_header = "/key/swarm/psk/1.0.0/";

// The key, wiped when destroyed.
using psk = secure_bytes;

// Reads a PSK file: the header, then /base16/ (any case), /base64/ or /bin/, then the key;
// lines may end in \r\n and the key line may be followed by one line ending. Errors name the
// problem, never the key text.
result<psk> parse_psk_file(const_bytes file);
// Writes the file as js-libp2p reads it: lowercase base16, one line each.
std::string format_psk_file(const_bytes key);

// The master secret file: the secret hex-encoded on one line, surrounding whitespace ignored,
// at least 32 bytes decoded (error::bad_master_secret otherwise).
result<secure_bytes> parse_master_secret(std::string_view text);
// PSK = SHA-256(master secret ‖ UTF-8 bytes of the DID), the DID as sent in the path.
psk tenant_psk(const_bytes master_secret, std::string_view did);

// libp2p's fingerprint: Salsa20 keyed with the PSK and nonce "finprint" over 64 zero bytes, then
// SHAKE-128 to 16 bytes, in hex: tells which network a connection is on without the key.
std::string fingerprint(const_bytes key);

// W3C DID syntax: did:<method: 1+ lowercase letters or digits>:<method-specific id: idchars
// (ALPHA DIGIT . - _ or %XX) in segments separated by ':', the last one non-empty>.
bool is_valid_did(std::string_view did) noexcept;

}  // namespace sealed::pnet
