"""Nothing lost or doubled: crashes, failed commits, the durable outbox, the one-trip storage."""
