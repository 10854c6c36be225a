"""Mechanic Liquid: the dialect of Liquid that Mechanic tasks are written in."""
