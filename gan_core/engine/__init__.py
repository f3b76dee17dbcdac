"""The engine: pure functions over tensors and the Trainer that composes them (no I/O)."""
