"""GreenPort: green transformation with data for a county-level city and its industrial parks."""

__version__ = "0.1.0"
