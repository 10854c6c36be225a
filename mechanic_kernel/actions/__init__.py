"""Action types: one module per type, registered in :mod:`.registry`."""
