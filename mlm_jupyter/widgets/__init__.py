"""The widgets layer of mlm-jupyter (see DESIGN.md §2)."""
