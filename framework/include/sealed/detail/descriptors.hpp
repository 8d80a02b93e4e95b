// File descriptors: what a server checks at start and how its accept loop waits when the
// process has none left, instead of retrying at once (a spin that logged millions of lines).
#pragma once

#include <sealed/error.hpp>

#include <cstddef>

namespace sealed::detail {

// Descriptors a server keeps for itself beyond one per connection (listeners, logs, Redis,
// files an app opens).
inline constexpr std::size_t reserved_descriptors = 64;

// Raises the soft open-file limit as far as `needed` (never past the hard limit);
// errc::descriptor_limit if the hard limit is below `needed`.
error_code ensure_descriptors(std::size_t needed) noexcept;

// Connections the hard open-file limit holds beside reserved_descriptors (SIZE_MAX when
// unlimited or unknown).
std::size_t connections_the_hard_limit_holds() noexcept;

// true for accept errors that mean "no descriptors or kernel memory now" (EMFILE, ENFILE,
// ENOBUFS, ENOMEM): waiting helps, retrying at once does not.
bool out_of_descriptors(const error_code& ec) noexcept;

}  // namespace sealed::detail
