// The two schemes the typed suite does not run, reported as skipped in every run (with why)
// rather than left out silently. Their sessions are application protocols whose protection is
// not a Cipher the suite can exercise; their own suites test what the conformance suite would.
#include <gtest/gtest.h>

TEST(envelope, conformance_suite) {
    GTEST_SKIP() << "the envelope's channel is plaintext; each message carries its own keys and is "
                    "opened, replay-checked and answered by envelope::service (asynchronous, Redis), "
                    "which a Cipher cannot do: tests/unit/envelope and tests/examples/envelope_api_test";
}

TEST(signaling, conformance_suite) {
    GTEST_SKIP() << "signaling is plaintext over TLS by design (PeerJS), and its handshake needs a broker "
                    "admission (id and token in the query) and relays between two peers rather than echoing: "
                    "tests/unit/signaling and the peerjs interop tests";
}
