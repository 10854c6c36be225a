"""Thin Tornado handlers over the Workbench."""
