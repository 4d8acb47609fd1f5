"""``make bench``: the engine's and the screening API's speed (docs/PERFORMANCE.md)."""
