"""Alarm rules and alarms raised from observations."""
