"""The bad-input corpus: malformed files and arguments for every reader (issue 13)."""
