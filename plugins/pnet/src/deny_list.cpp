#include <sealed/pnet/deny_list.hpp>
#include <sealed/pnet/error.hpp>
#include <sealed/pnet/psk.hpp>

#include <cctype>

namespace sealed::pnet {

deny_list::set_type deny_list::replace(set_type dids) {
    auto fresh = std::make_shared<const set_type>(std::move(dids));
    set_type added;
    std::lock_guard lock(mutex_);
    for (const auto& did : *fresh)
        if (!current_->contains(did)) added.insert(did);
    current_ = std::move(fresh);
    return added;
}

result<deny_list::set_type> deny_list::parse(std::string_view text) {
    set_type dids;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        auto line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        line = line.substr(0, line.find('#'));
        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
        if (line.empty()) continue;
        if (!is_valid_did(line)) return error::invalid_did;
        dids.emplace(line);
    }
    return dids;
}

}  // namespace sealed::pnet
