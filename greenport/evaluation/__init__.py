"""Pure numpy evaluation engine: indicator systems, normalisation, weighting, aggregation, grading."""
