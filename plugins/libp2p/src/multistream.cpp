#include <sealed/libp2p/multistream.hpp>
#include <sealed/libp2p/varint.hpp>

namespace sealed::libp2p::multistream {

void append_message(std::string_view m, bytes& out) {
    append_uvarint(m.size(), out);
    out.insert(out.end(), m.begin(), m.end());
}

result<std::optional<std::string>> reader::next() {
    std::size_t at = pos_;
    // Three varint bytes reach past any limit used here.
    auto length = read_uvarint(buffer_, at, 3);
    if (!length) return length.error();
    if (!*length) return std::optional<std::string>{};
    if (**length > limit_) return make_error_code(errc::protocol_violation);
    if (buffer_.size() - at < **length) return std::optional<std::string>{};
    std::string message(buffer_.begin() + static_cast<std::ptrdiff_t>(at),
                        buffer_.begin() + static_cast<std::ptrdiff_t>(at + **length));
    pos_ = at + **length;
    if (pos_ == buffer_.size()) {  // keep the buffer small on a long-lived connection
        buffer_.clear();
        pos_ = 0;
    }
    return std::optional<std::string>(std::move(message));
}

bytes reader::take_rest() {
    bytes rest(buffer_.begin() + static_cast<std::ptrdiff_t>(pos_), buffer_.end());
    buffer_.clear();
    pos_ = 0;
    return rest;
}

result<std::optional<std::string>> negotiation_reader::next() {
    auto message = reader_.next();
    if (!message || !*message || header_seen_) return message;
    if (**message != protocol_id) return make_error_code(errc::protocol_violation);
    header_seen_ = true;
    return reader_.next();
}

}  // namespace sealed::libp2p::multistream
