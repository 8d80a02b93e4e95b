// Revoked tenants: DIDs whose upgrades the gateway refuses (HTTP 403) and whose connections it
// closes, replaceable while the gateway runs (the file is reloaded when it changes). Thread-safe:
// admission reads it on every upgrade while a reload swaps it.
#pragma once

#include <sealed/error.hpp>

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace sealed::pnet {

class deny_list {
public:
    using set_type = std::set<std::string, std::less<>>;

    bool denies(std::string_view did) const {
        std::lock_guard lock(mutex_);
        return current_->contains(did);
    }
    // Replaces the list; returns the DIDs it adds (whose connections are to be closed).
    set_type replace(set_type dids);
    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return current_->size();
    }

    // One DID per line, '#' starts a comment; error::invalid_did names a line that is not a DID.
    static result<set_type> parse(std::string_view text);

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const set_type> current_ = std::make_shared<const set_type>();
};

}  // namespace sealed::pnet
