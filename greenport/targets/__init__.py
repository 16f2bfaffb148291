"""Plan targets by responsible unit and their tracking."""
