"""Change requests (调整/变更): filed within the pack's limit, otherwise re-reviewed."""
