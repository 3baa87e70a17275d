"""The core layer of mlm-jupyter (see DESIGN.md §2)."""
