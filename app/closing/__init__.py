"""The close step: seal what the open wave wrote, compute its figures, store them."""
