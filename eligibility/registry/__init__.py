"""Registries shared by departments: the people they know, imported for matching and pre-filling."""
