"""Builders of the vector files, one module per area; see ../generate.py."""
