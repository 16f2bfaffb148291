"""Observations, aggregates and derived quality (AQI, water class) of monitoring sites."""
