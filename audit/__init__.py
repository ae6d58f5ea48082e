"""The audit log (nhật ký): append-only, hash-chained record of every state change."""
