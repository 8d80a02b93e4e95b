// The byte examples made with js-libp2p 3's npm packages (../shared/vectors/libp2p/js-libp2p-3.json),
// for the libp2p known-answer tests.
#pragma once

#include <sealed/bytes.hpp>
#include <sealed/crypto/encoding.hpp>

#include <sealed_test/paths.hpp>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace sealed_test {

inline const boost::json::object& js_libp2p() {
    static const boost::json::object doc = [] {
        std::ifstream file(std::filesystem::path(vectors_dir()) / "libp2p/js-libp2p-3.json");
        std::stringstream text;
        text << file.rdbuf();
        return boost::json::parse(text.str()).as_object();
    }();
    return doc;
}

inline std::string js_libp2p_text(const char* section, const char* name) {
    return std::string(js_libp2p().at(section).at(name).as_string());
}

inline sealed::bytes js_libp2p_hex(const char* section, const char* name) {
    return sealed::crypto::hex_decode(js_libp2p_text(section, name)).value();
}

}  // namespace sealed_test
