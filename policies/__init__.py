"""Policy packs (YAML) and their table-driven tests."""
