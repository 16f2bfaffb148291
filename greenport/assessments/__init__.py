"""Evaluation runs of indicator systems over the city's units, stored immutably."""
