#include <sealed/libp2p/error.hpp>
#include <sealed/libp2p/identity.hpp>

#include <sealed/files.hpp>

namespace sealed::libp2p {

result<identity> identity::load(const std::string& path) {
    const auto protobuf = files::read(path);
    if (!protobuf) return protobuf.error();
    auto key = parse_private_key_protobuf(*protobuf);
    if (!key) return error::bad_key_file;
    return identity(std::move(*key));
}

result<identity> identity::load_or_create(const std::string& path) {
    auto made = generate();
    auto created = files::create_exclusive(path, private_key_protobuf(made.key()));
    if (!created) return created.error();
    if (!*created) return load(path);  // there already, or another process won the race
    return made;
}

}  // namespace sealed::libp2p
