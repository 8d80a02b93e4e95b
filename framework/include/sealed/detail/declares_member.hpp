// declares_<name><T>: whether T has a member of that name at all — any kind, overloaded or not,
// whatever its signature. The hook check (hooks.hpp) compares it with the hook's concept, so a
// member named like a hook but shaped differently is an error instead of an ignored default.
// How: a class deriving from T and from a class with one member of that name finds the name
// ambiguous exactly when T declares it too.
#pragma once

#include <type_traits>

#define SEALED_DETAIL_DECLARES_MEMBER(name)                                                  \
    namespace sealed::detail {                                                               \
    struct name##_probe {                                                                    \
        int name;                                                                            \
    };                                                                                       \
    template <class T>                                                                       \
    struct name##_probed : T, name##_probe {};                                               \
    template <class T>                                                                       \
    concept declares_##name = std::is_class_v<T> && !std::is_final_v<T> &&                  \
                              !requires { &name##_probed<T>::name; };                        \
    }

SEALED_DETAIL_DECLARES_MEMBER(admit)
SEALED_DETAIL_DECLARES_MEMBER(inspect)
SEALED_DETAIL_DECLARES_MEMBER(message_id)
SEALED_DETAIL_DECLARES_MEMBER(liveness)
SEALED_DETAIL_DECLARES_MEMBER(wire_size_limit)
SEALED_DETAIL_DECLARES_MEMBER(rate_limited_reply)
SEALED_DETAIL_DECLARES_MEMBER(time_limit)
SEALED_DETAIL_DECLARES_MEMBER(timeout_reason)
SEALED_DETAIL_DECLARES_MEMBER(on_open_failure)
SEALED_DETAIL_DECLARES_MEMBER(release_idle_memory)
SEALED_DETAIL_DECLARES_MEMBER(seals_replies)

#undef SEALED_DETAIL_DECLARES_MEMBER
