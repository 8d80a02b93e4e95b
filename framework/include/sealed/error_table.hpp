// An error category read from a table: each code of a layer's enum listed once with its name
// (for logs and wire `code` fields), its message and the shared condition it compares equal to.
// The table is the documentation of the mapping (Beast lists each code's condition; here it is
// the code), and a plugin adds its errors with one table and no switch statements:
//   constexpr sealed::error_entry<my::error> my_errors[] = {
//       {my::error::bad_proof, "bad_proof", "the proof does not verify", condition::authentication_failed},
//   };
//   const boost::system::error_category& my::error_category() noexcept {
//       static const sealed::table_category<my::error> category("my_scheme", my_errors);
//       return category;
//   }
// The one rule every table follows: malformed or unexpected input → protocol_violation; a proof,
// key or tag that does not verify (an invalid public key included) → authentication_failed;
// the peer or our policy refusing to go on → handshake_failed; a limit (size, rate, queue,
// storage) → resource_exhausted; deadlines → timeout; our own backend's faults → none.
#pragma once

#include <sealed/error.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sealed {

template <class Enum>
struct error_entry {
    Enum code;
    std::string_view name;
    std::string_view message;
    std::optional<condition> shared;  // nullopt: apps compare against the code itself
};

// The row for value `ev`, or null.
template <class Enum>
const error_entry<Enum>* find_error_entry(std::span<const error_entry<Enum>> table, int ev) noexcept {
    for (const auto& e : table)
        if (static_cast<int>(e.code) == ev) return &e;
    return nullptr;
}

template <class Enum>
class table_category final : public boost::system::error_category {
public:
    table_category(const char* name, std::span<const error_entry<Enum>> table) noexcept
        : name_(name), table_(table) {}

    const char* name() const noexcept override { return name_; }
    std::string message(int ev) const override {
        const auto* e = find(ev);
        return e ? std::string(e->message) : "unknown " + std::string(name_) + " error";
    }
    boost::system::error_condition default_error_condition(int ev) const noexcept override {
        const auto* e = find(ev);
        if (e && e->shared) return make_error_condition(*e->shared);
        return {ev, *this};
    }

    const error_entry<Enum>* find(int ev) const noexcept { return find_error_entry(table_, ev); }
    std::string_view code_name(Enum code) const noexcept {
        const auto* e = find(static_cast<int>(code));
        return e ? e->name : "unknown";
    }

private:
    const char* name_;
    std::span<const error_entry<Enum>> table_;
};

}  // namespace sealed
