// Room membership for a server: which connections are in which room, both ways, safe from any
// thread (joins happen on each connection's strand, sends to a room from anywhere).
#pragma once

#include <boost/container/flat_set.hpp>

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace sealed {

class room_index {
public:
    void join(std::uint64_t connection, const std::string& room) {
        std::lock_guard lock(mutex_);
        members_[room].insert(connection);
        rooms_[connection].insert(room);
    }
    // false when the connection was not in the room.
    bool leave(std::uint64_t connection, const std::string& room) {
        std::lock_guard lock(mutex_);
        auto rooms = rooms_.find(connection);
        if (rooms == rooms_.end() || rooms->second.erase(room) == 0) return false;
        drop_member(room, connection);
        return true;
    }
    void leave_all(std::uint64_t connection) {
        std::lock_guard lock(mutex_);
        auto rooms = rooms_.find(connection);
        if (rooms == rooms_.end()) return;
        for (const auto& room : rooms->second) drop_member(room, connection);
        rooms_.erase(rooms);
    }
    std::vector<std::uint64_t> members(std::string_view room) const {
        std::lock_guard lock(mutex_);
        auto it = members_.find(std::string(room));
        if (it == members_.end()) return {};
        return {it->second.begin(), it->second.end()};
    }
    std::vector<std::string> rooms_of(std::uint64_t connection) const {
        std::lock_guard lock(mutex_);
        auto it = rooms_.find(connection);
        if (it == rooms_.end()) return {};
        return {it->second.begin(), it->second.end()};
    }
    bool contains(std::uint64_t connection, std::string_view room) const {
        std::lock_guard lock(mutex_);
        auto it = rooms_.find(connection);
        return it != rooms_.end() && it->second.contains(room);
    }
    std::size_t count_of(std::uint64_t connection) const {
        std::lock_guard lock(mutex_);
        auto it = rooms_.find(connection);
        return it == rooms_.end() ? 0 : it->second.size();
    }
    std::size_t room_count() const {
        std::lock_guard lock(mutex_);
        return members_.size();
    }

private:
    void drop_member(const std::string& room, std::uint64_t connection) {
        auto it = members_.find(room);
        if (it == members_.end()) return;
        it->second.erase(connection);
        if (it->second.empty()) members_.erase(it);  // empty rooms do not accumulate
    }

    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::unordered_set<std::uint64_t>> members_;
    // A connection is in a few rooms: a sorted vector, not a hash set with its bucket array
    // (~400 bytes less for every connection, each of which is in at least one room).
    std::unordered_map<std::uint64_t, boost::container::flat_set<std::string, std::less<>>> rooms_;
};

}  // namespace sealed
