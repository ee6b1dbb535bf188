"""The authority's discretion: exceptions to softened rules and parameters it sets (issue 17)."""
