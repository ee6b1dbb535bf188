"""Results reported up to the overseeing city, and its receipts (潮州 第十四条)."""
