"""The server layer of mlm-jupyter (see DESIGN.md §2)."""
