"""Matching registry persons against every programme, and what-if previews of policy changes."""
