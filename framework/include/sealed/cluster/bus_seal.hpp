// The sealed bus (issue 29, ADR-0003's promise): with a cluster key, every bus message crosses
// Redis sealed and authenticated, so whoever reads or writes that Redis sees no payload, no
// routing target and has no way to inject or replay an event. Opt-in: IGNIS nodes speak the
// plaintext bus and cannot join a sealed one.
//
//   wire      sb1.<key id>.<base64url(nonce ‖ ciphertext ‖ tag)>   (one channel, sealed:bus)
//   sealed    XChaCha20-Poly1305, random 24-byte nonce, AAD "sealed-bus/1|<key id>"
//   inside    {"b":<sender boot id>,"q":<sequence>,"t":<unix ms>,"m":<IGNIS bus message>}
//
// A receiver accepts a message once: its time within `window` of the receiver's clock, and its
// sequence new for that sender's boot (a 64-message reorder window, as IPsec's).
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/cluster/bus.hpp>
#include <sealed/error.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sealed::cluster {

// The cluster keys: the first seals, every one opens (two during a rotation). The file holds a
// line "<id> <base64 of 32 random bytes>" per key; blank lines and lines from '#' are skipped.
// Ids are 1–32 characters from [A-Za-z0-9._-]. Make a key with: head -c32 /dev/urandom | base64
class bus_keyring {
public:
    struct key {
        std::string id;
        secure_bytes bytes;
    };
    // errc::invalid_key (no key, a malformed line, a key not 32 bytes, an id twice), with
    // `why` saying which line.
    static result<bus_keyring> parse(std::string_view text, std::string* why = nullptr);
    // The same from a file (or the file system's error).
    static result<bus_keyring> load(const std::filesystem::path& file, std::string* why = nullptr);

    const key& sealing() const noexcept { return keys_.front(); }
    const key* find(std::string_view id) const noexcept;
    const std::vector<key>& keys() const noexcept { return keys_; }

private:
    std::vector<key> keys_;
};

struct bus_seal_options {
    std::chrono::milliseconds window{30000};  // how far a message's time may be from ours
};

// Sans-I/O sealing for one sender. Not thread-safe: one per publishing strand.
class bus_sealer {
public:
    explicit bus_sealer(std::shared_ptr<const bus_keyring> keys);
    std::string seal(const bus_message& m);

private:
    std::shared_ptr<const bus_keyring> keys_;
    std::string boot_;  // random per process start: a restarted sender's sequence starts again
    std::uint64_t sequence_ = 0;
};

// Sans-I/O opening with replay protection. Not thread-safe: one per receiving strand.
class bus_opener {
public:
    explicit bus_opener(std::shared_ptr<const bus_keyring> keys, bus_seal_options opts = {});
    // The message, or errc::decrypt_failed (unknown key id, a tag that does not verify, not a
    // sealed message at all) or errc::duplicate_message (seen before, or outside the window).
    result<bus_message> open(std::string_view wire);
    // For tests: the receiver's clock.
    result<bus_message> open(std::string_view wire, std::chrono::system_clock::time_point now);

private:
    struct replay_window {
        std::uint64_t highest = 0;
        std::uint64_t seen = 0;  // bit i: highest - i was accepted
        std::chrono::system_clock::time_point last;
    };
    bool accept(const std::string& sender, std::uint64_t sequence, std::chrono::system_clock::time_point now);
    void sweep(std::chrono::system_clock::time_point now);

    std::shared_ptr<const bus_keyring> keys_;
    bus_seal_options opts_;
    std::unordered_map<std::string, replay_window> senders_;
    std::size_t sweep_at_ = 64;
};

}  // namespace sealed::cluster
