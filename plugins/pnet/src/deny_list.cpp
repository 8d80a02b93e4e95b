#include <sealed/pnet/deny_list.hpp>
#include <sealed/pnet/error.hpp>
#include <sealed/pnet/psk.hpp>

#include <sealed/files.hpp>

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
    auto ec = files::for_each_list_line(text, [&](std::string_view line) -> error_code {
        if (!is_valid_did(line)) return error::invalid_did;
        dids.emplace(line);
        return {};
    });
    if (ec) return ec;
    return dids;
}

}  // namespace sealed::pnet
