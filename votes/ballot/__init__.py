"""Verifiable secret ballots: exponential ElGamal over ristretto255 (libsodium), threshold decryption of the
total only, and a public board anyone can check. docs/ballot-spec.md is the normative description."""
