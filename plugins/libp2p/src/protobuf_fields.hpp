// The walk every libp2p message parser here makes: each length-delimited field in turn, other
// wire types skipped as protobuf requires. protozero's exceptions for malformed input reach the
// calling parser, which turns them into error::malformed_protobuf.
#pragma once

#include <protozero/pbf_reader.hpp>

namespace sealed::libp2p::detail {

// visit(tag, data_view) for each length-delimited field of `message`.
template <class Visit>
void for_each_bytes_field(protozero::pbf_reader message, Visit&& visit) {
    while (message.next()) {
        if (message.wire_type() != protozero::pbf_wire_type::length_delimited) {
            message.skip();
            continue;
        }
        const auto tag = message.tag();
        visit(tag, message.get_view());
    }
}

}  // namespace sealed::libp2p::detail
