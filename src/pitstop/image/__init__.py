"""What a built image holds: its layers, the bytes each added, waste, and Python's weight."""
