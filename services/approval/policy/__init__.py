"""Policy packs on request: evaluate facts, read the packs of visible jurisdictions."""
