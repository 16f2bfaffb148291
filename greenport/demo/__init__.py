"""Deterministic demo city 港城 calibrated to the seeds' published figures."""
