"""The administrative tree of the city, its grid cells and officers, and its parks."""
