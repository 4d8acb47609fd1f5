"""Invitations to people the registries show as eligible, and applications pre-filled from them."""
