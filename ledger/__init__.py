"""Tamper-evident records shared by several domains: the audit hash chain and its keys, and the signing key
store (imports core and infra only)."""
