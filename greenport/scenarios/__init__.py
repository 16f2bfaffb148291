"""Restructuring scenarios and their effects."""
