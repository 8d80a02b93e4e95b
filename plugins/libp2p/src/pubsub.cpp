#include <sealed/libp2p/error.hpp>
#include <sealed/libp2p/pubsub.hpp>
#include <sealed/libp2p/varint.hpp>

#include "protobuf_fields.hpp"

#include <protozero/pbf_reader.hpp>
#include <protozero/pbf_writer.hpp>

namespace sealed::libp2p::pubsub {
namespace {

constexpr std::string_view sign_prefix = "libp2p-pubsub:";
constexpr std::size_t seqno_size = 8;

const_bytes view(const protozero::data_view& v) { return {reinterpret_cast<const byte*>(v.data()), v.size()}; }
const char* chars(const_bytes b) { return reinterpret_cast<const char*>(b.data()); }

bytes with_length(const std::string& protobuf) {
    bytes out;
    append_uvarint(protobuf.size(), out);
    out.insert(out.end(), protobuf.begin(), protobuf.end());
    return out;
}

// One of ControlMessage's repeated entries: the topic (field 1) when it has one.
void read_topics(protozero::data_view entry_list, std::vector<std::string>& topics) {
    protozero::pbf_reader entry(entry_list);
    while (entry.next(1, protozero::pbf_wire_type::length_delimited)) topics.push_back(entry.get_string());
}

control parse_control(protozero::data_view bytes_view) {
    control c;
    detail::for_each_bytes_field(protozero::pbf_reader(bytes_view), [&](auto tag, protozero::data_view entry) {
        if (tag == 1) read_topics(entry, c.ihave);
        else if (tag == 3) read_topics(entry, c.graft);
        else if (tag == 4) read_topics(entry, c.prune);
        else if (tag == 2) ++c.iwant;
        else if (tag == 5) ++c.idontwant;
    });
    return c;
}

subscription parse_subscription(protozero::data_view v) {
    subscription s;
    protozero::pbf_reader opts(v);
    while (opts.next()) {
        if (opts.tag() == 1 && opts.wire_type() == protozero::pbf_wire_type::varint) s.subscribe = opts.get_bool();
        else if (opts.tag() == 2 && opts.wire_type() == protozero::pbf_wire_type::length_delimited) s.topic = opts.get_string();
        else opts.skip();
    }
    return s;
}

}  // namespace

result<message> parse_message(const_bytes protobuf) {
    message m;
    m.raw = protobuf;
    try {
        detail::for_each_bytes_field(protozero::pbf_reader(chars(protobuf), protobuf.size()),
                                     [&](auto tag, protozero::data_view v) {
            switch (tag) {
            case 1: m.from = view(v); break;
            case 2: m.data = view(v); break;
            case 3: m.seqno = view(v); break;
            case 4: m.topic.assign(v.data(), v.size()); break;  // topicIDs in floodsub's old form too
            case 5: m.signature = view(v); break;
            case 6: m.key = view(v); break;
            default: break;
            }
        });
    } catch (const protozero::exception&) {
        return error::malformed_protobuf;
    }
    if (m.topic.empty()) return error::malformed_protobuf;
    return m;
}

result<rpc> parse_rpc(const_bytes protobuf) {
    rpc r;
    error_code bad_message;
    try {
        detail::for_each_bytes_field(protozero::pbf_reader(chars(protobuf), protobuf.size()),
                                     [&](auto tag, protozero::data_view v) {
            if (tag == 1) {
                r.subscriptions.push_back(parse_subscription(v));
            } else if (tag == 2 && !bad_message) {
                auto m = parse_message(view(v));
                if (m) r.publish.push_back(std::move(*m));
                else bad_message = m.error();
            } else if (tag == 3) {
                r.ctl = parse_control(v);
            }
        });
    } catch (const protozero::exception&) {
        return error::malformed_protobuf;
    }
    if (bad_message) return bad_message;
    return r;
}

bytes frame_subscriptions(const std::vector<subscription>& subs) {
    std::string out;
    {
        protozero::pbf_writer writer(out);
        for (const auto& s : subs) {
            protozero::pbf_writer opts(writer, 1);
            opts.add_bool(1, s.subscribe);
            opts.add_string(2, s.topic);
        }
    }
    return with_length(out);
}

bytes frame_publish(const_bytes raw_message) {
    std::string out;
    {
        protozero::pbf_writer writer(out);
        writer.add_bytes(2, chars(raw_message), raw_message.size());
    }
    return with_length(out);
}

bytes sign_message(const identity& author, std::string_view topic, const_bytes data, std::uint64_t seqno) {
    std::array<char, seqno_size> seqno_bytes{};
    for (std::size_t i = 0; i < seqno_size; ++i)
        seqno_bytes[i] = static_cast<char>(seqno >> (8 * (seqno_size - 1 - i)));
    std::string unsigned_message;
    {
        protozero::pbf_writer writer(unsigned_message);
        const auto& from = author.id().to_bytes();
        writer.add_bytes(1, chars(from), from.size());
        writer.add_bytes(2, chars(data), data.size());
        writer.add_bytes(3, seqno_bytes.data(), seqno_bytes.size());
        writer.add_string(4, topic.data(), topic.size());
    }
    bytes to_sign(sign_prefix.begin(), sign_prefix.end());
    to_sign.insert(to_sign.end(), unsigned_message.begin(), unsigned_message.end());
    const auto signature = author.key().sign(to_sign);
    protozero::pbf_writer(unsigned_message).add_bytes(5, reinterpret_cast<const char*>(signature.data()), signature.size());
    return bytes(unsigned_message.begin(), unsigned_message.end());
}

// The received encoding with fields 5 and 6 left out, the others byte for byte in their order:
// what the publisher signed, however it encoded fields 1-4.
bytes signed_bytes(const message& m) {
    bytes out(sign_prefix.begin(), sign_prefix.end());
    protozero::pbf_reader reader(chars(m.raw), m.raw.size());
    for (;;) {
        const auto* field_start = reinterpret_cast<const byte*>(reader.data().data());
        if (!reader.next()) break;
        const auto tag = reader.tag();
        reader.skip();
        const auto* field_end = reinterpret_cast<const byte*>(reader.data().data());
        if (tag != 5 && tag != 6) out.insert(out.end(), field_start, field_end);
    }
    return out;
}

error_code verify_strict_sign(const message& m) {
    if (m.from.empty() || m.signature.empty() || m.seqno.size() != seqno_size) return error::bad_signature;
    auto author = peer_id::from_bytes(m.from);
    if (!author) return author.error();
    std::optional<crypto::ed25519_public_key> key;
    if (!m.key.empty()) {
        auto carried = parse_public_key_protobuf(m.key);
        if (!carried) return carried.error();
        if (peer_id::from_public_key(*carried) != *author) return error::peer_id_mismatch;
        key = *carried;
    } else {
        key = author->ed25519_key();
        if (!key) return error::unsupported_key_type;
    }
    try {
        if (!key->verify(signed_bytes(m), m.signature)) return error::bad_signature;
    } catch (const protozero::exception&) {
        return error::malformed_protobuf;
    }
    return {};
}

bytes message_id(const message& m) {
    bytes id(m.from.begin(), m.from.end());
    id.insert(id.end(), m.seqno.begin(), m.seqno.end());
    return id;
}

}  // namespace sealed::libp2p::pubsub
