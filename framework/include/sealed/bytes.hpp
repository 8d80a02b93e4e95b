// Byte views and buffers shared by every layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sealed {

using byte = std::uint8_t;
using const_bytes = std::span<const byte>;
using mutable_bytes = std::span<byte>;
using bytes = std::vector<byte>;

inline const_bytes as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const byte*>(s.data()), s.size()};
}
inline std::string_view as_string_view(const_bytes b) noexcept {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Overwrites memory in a way the optimiser may not remove.
void secure_wipe(void* data, std::size_t size) noexcept;

// Allocator that wipes memory before giving it back: secrets never linger in freed heap.
template <class T>
struct zeroing_allocator {
    using value_type = T;
    zeroing_allocator() noexcept = default;
    template <class U>
    zeroing_allocator(const zeroing_allocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
    void deallocate(T* p, std::size_t n) noexcept {
        secure_wipe(p, n * sizeof(T));
        std::allocator<T>{}.deallocate(p, n);
    }
    template <class U>
    bool operator==(const zeroing_allocator<U>&) const noexcept { return true; }
};

// Key material: wiped when freed or resized away.
using secure_bytes = std::vector<byte, zeroing_allocator<byte>>;

// What a WebSocket frame is; other transports carry it as a flag.
enum class message_kind : std::uint8_t { binary, text };

// One whole message as read from or written to a transport. Reused per connection so the hot
// path does not allocate: clear() keeps the capacity, shrink() gives it back after a big message.
class message_buffer {
public:
    message_buffer() = default;
    explicit message_buffer(const_bytes b, message_kind k = message_kind::binary) { assign(b, k); }
    message_buffer(const message_buffer&) = default;
    message_buffer(message_buffer&&) noexcept = default;
    message_buffer& operator=(const message_buffer&) = default;
    message_buffer& operator=(message_buffer&&) noexcept = default;

    const byte* data() const noexcept { return storage_.data(); }
    byte* data() noexcept { return storage_.data(); }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    std::size_t capacity() const noexcept { return storage_.size(); }
    const_bytes bytes() const noexcept { return {storage_.data(), size_}; }
    mutable_bytes mutable_view() noexcept { return {storage_.data(), size_}; }
    std::string_view text() const noexcept { return as_string_view(bytes()); }
    message_kind kind() const noexcept { return kind_; }
    void set_kind(message_kind k) noexcept { kind_ = k; }

    void clear() noexcept { size_ = 0; }
    // Sets the size to n (growing storage when needed) and returns the whole view.
    mutable_bytes resize(std::size_t n) {
        if (storage_.size() < n) storage_.resize(n);
        size_ = n;
        return mutable_view();
    }
    // Space for n more bytes after the current content; commit() makes them part of it.
    mutable_bytes prepare(std::size_t n) {
        if (storage_.size() < size_ + n) storage_.resize(size_ + n);
        return {storage_.data() + size_, n};
    }
    void commit(std::size_t n) noexcept { size_ += n; }
    void append(const_bytes b) {
        auto dst = prepare(b.size());
        if (!b.empty()) std::memcpy(dst.data(), b.data(), b.size());
        commit(b.size());
    }
    void assign(const_bytes b) {  // keeps kind()
        clear();
        append(b);
    }
    void assign(const_bytes b, message_kind k) {
        assign(b);
        kind_ = k;
    }
    // Drops capacity above `keep` so one large message does not pin memory on an idle connection.
    void shrink(std::size_t keep = 0) {
        if (storage_.size() > keep && size_ <= keep) {
            storage_.resize(keep);
            storage_.shrink_to_fit();
        }
    }
    // Wipes the content and the spare capacity (used for plaintext buffers).
    void wipe() noexcept {
        secure_wipe(storage_.data(), storage_.size());
        size_ = 0;
    }

private:
    std::vector<byte> storage_;
    std::size_t size_ = 0;
    message_kind kind_ = message_kind::binary;
};

}  // namespace sealed
