"""The cli layer of mlm-jupyter (see DESIGN.md §2)."""
