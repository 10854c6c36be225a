"""The release of mechanic-kernel (one place, read by the package, the API and the Jupyter extension)."""

__version__ = "0.1.0"
