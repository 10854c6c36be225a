"""HTTP: the handlers shared by the standalone server, the Jupyter extension and the kernel-embedded server."""
