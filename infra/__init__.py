"""Low-level services every layer above uses: settings, the database and its units of work, the outbox
dispatcher, background loops, the cluster, rate limits (imports only core)."""
