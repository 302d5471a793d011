"""API views. Thin: validate input, read through selectors, write through services."""
