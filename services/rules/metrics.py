"""The rules service's own Prometheus metrics (served with the others on the metrics port)."""

from prometheus_client import Counter

# One rule tested against one live visitor's state (the rules of the visitor's section and those for anywhere):
# what `bench/rules.py` divides by the rules process's CPU time.
RULE_EVALUATIONS = Counter("fw_rules_evaluations_total", "Rules tested against a live visitor's state")
VISITOR_EVALUATIONS = Counter(
    "fw_rules_visitor_evaluations_total", "Live visitors evaluated against their site's rules"
)
