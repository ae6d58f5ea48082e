"""Live rooms over socket.io: authenticated connections, thin event handlers, after-commit broadcast."""
