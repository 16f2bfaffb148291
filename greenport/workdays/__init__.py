"""Working days and working hours of the Chinese calendar (State Council notices, 调休)."""
