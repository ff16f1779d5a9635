"""region_service: the authority for members and cards homed in one region."""
