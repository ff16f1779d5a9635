"""ChainCard shared core: everything the four services have in common."""
