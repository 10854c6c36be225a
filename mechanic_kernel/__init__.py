"""mechanic-kernel."""
