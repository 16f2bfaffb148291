"""Pure numpy evaluation engine: indicator systems, normalisation, weighting, aggregation, grading.

Matrices are units x indicators; directions are +1 (benefit, 正向) / -1 (cost, 逆向).
Formulas and conventions: ``docs/evaluation.md`` and ``shared/reference/evaluation-methods.md``.
"""

from __future__ import annotations

from greenport.evaluation.aggregate import (
    grey_relational,
    topsis,
    topsis_distances,
    weighted_arithmetic,
    weighted_geometric,
    weighted_harmonic,
)
from greenport.evaluation.audit import audit_system
from greenport.evaluation.coupling import (
    coordination_level,
    coordination_levels,
    coupling_coordination,
    coupling_stage,
    lag_type,
)
from greenport.evaluation.denominate import denominate
from greenport.evaluation.diagnosis import obstacle_degree, obstacle_degree_normalised, top_obstacles
from greenport.evaluation.engine import EvaluationResult, evaluate
from greenport.evaluation.errors import EvaluationError, InconsistentJudgment, SchemaError
from greenport.evaluation.normalise import (
    distance_to_target,
    goalposts,
    minmax,
    normalise,
    percentile_rank,
    rank,
    ratio_to_target,
    target_closeness,
    threshold_points,
    vector,
    zscore,
)
from greenport.evaluation.screening import screen_units
from greenport.evaluation.system import Indicator, Node, System, load_system, parse_system
from greenport.evaluation.treatment import (
    TreatmentSpec,
    impute,
    kurtosis,
    needs_treatment,
    skewness,
    winsorise,
)
from greenport.evaluation.uncertainty import (
    perturbed_weights,
    rank_intervals,
    ranks_of,
    sobol_indices,
)
from greenport.evaluation.weights import (
    ahp_details,
    ahp_weights,
    combine_weights,
    critic_weights,
    cv_weights,
    entropy_weights,
    equal_weights,
    fixed_weights,
    pca,
    pca_weights,
    random_index_table,
    std_weights,
)

__all__ = [
    "EvaluationError",
    "EvaluationResult",
    "InconsistentJudgment",
    "Indicator",
    "Node",
    "SchemaError",
    "System",
    "TreatmentSpec",
    "ahp_details",
    "ahp_weights",
    "audit_system",
    "combine_weights",
    "coordination_level",
    "coordination_levels",
    "coupling_coordination",
    "coupling_stage",
    "critic_weights",
    "cv_weights",
    "denominate",
    "distance_to_target",
    "entropy_weights",
    "equal_weights",
    "evaluate",
    "fixed_weights",
    "goalposts",
    "grey_relational",
    "impute",
    "kurtosis",
    "lag_type",
    "load_system",
    "minmax",
    "needs_treatment",
    "normalise",
    "obstacle_degree",
    "obstacle_degree_normalised",
    "parse_system",
    "pca",
    "pca_weights",
    "percentile_rank",
    "perturbed_weights",
    "random_index_table",
    "rank",
    "rank_intervals",
    "ranks_of",
    "ratio_to_target",
    "screen_units",
    "skewness",
    "sobol_indices",
    "std_weights",
    "target_closeness",
    "threshold_points",
    "top_obstacles",
    "topsis",
    "topsis_distances",
    "vector",
    "weighted_arithmetic",
    "weighted_geometric",
    "weighted_harmonic",
    "winsorise",
    "zscore",
]
