"""Energy and carbon accounts."""
