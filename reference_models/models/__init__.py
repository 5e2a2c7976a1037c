"""One module per reference model: its config dataclass and what differs from the baseline."""
