"""The ``/v1`` views: every one async (see DESIGN §5)."""
