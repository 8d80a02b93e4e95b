// multistream-select 1.0 (multiformats/multistream-select): each message is
// uvarint(length) ‖ text ‖ '\n'; both sides send "/multistream/1.0.0\n", the dialer proposes a
// protocol, the listener echoes it or answers "na\n". Bytes after a selected protocol's echo
// belong to that protocol (js and rust send them in the same chunk).
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/error.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace sealed::libp2p::multistream {

inline constexpr std::string_view protocol_id = "/multistream/1.0.0\n";
inline constexpr std::string_view not_available = "na\n";
inline constexpr std::size_t max_message = 1024;  // js's cap; protocol ids are short

// uvarint(m.size()) ‖ m, appended to `out`.
void append_message(std::string_view m, bytes& out);

// Splits a byte stream fed in any chunks into multistream messages.
class reader {
public:
    explicit reader(std::size_t limit = max_message) : limit_(limit) {}
    void set_limit(std::size_t limit) noexcept { limit_ = limit; }
    void feed(const_bytes chunk) { buffer_.insert(buffer_.end(), chunk.begin(), chunk.end()); }
    // The next whole message (nullopt: more bytes needed); errc::protocol_violation for a bad
    // varint or a length over the limit.
    result<std::optional<std::string>> next();
    // What follows the last message taken (the protocol's own bytes once one is selected).
    bytes take_rest();

private:
    bytes buffer_;
    std::size_t pos_ = 0;
    std::size_t limit_;
};

// What either side of one negotiation reads from the other: its header, checked and dropped,
// then the messages after it (a listener's proposals, a dialer's answers).
class negotiation_reader {
public:
    void feed(const_bytes chunk) { reader_.feed(chunk); }
    // The next message after the header (nullopt: more bytes needed); errc::protocol_violation
    // when the first message is not the header, or as reader::next().
    result<std::optional<std::string>> next();
    bytes take_rest() { return reader_.take_rest(); }

private:
    reader reader_;
    bool header_seen_ = false;
};

}  // namespace sealed::libp2p::multistream
