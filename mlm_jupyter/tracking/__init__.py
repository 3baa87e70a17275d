"""The tracking layer of mlm-jupyter (see DESIGN.md §2)."""
