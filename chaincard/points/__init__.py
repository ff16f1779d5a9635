"""Points rules shared by the services (P2, P3): pure Python."""
