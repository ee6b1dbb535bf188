"""The approval document (立项批复 / 备案确认): numbering, validity, budget year, expiry."""
