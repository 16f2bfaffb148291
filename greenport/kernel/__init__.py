"""Shared vocabulary of GreenPort (stdlib only): errors, time, units, the parameter registry."""
