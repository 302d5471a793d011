"""Pure statistics for impact measurement and A/B experiments (numpy arrays in, dataclasses out)."""
