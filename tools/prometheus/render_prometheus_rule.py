"""Prints the PrometheusRule for ops/prometheus/rules/flexsync.rules.yaml (the plain file stays the source).
Usage: render_prometheus_rule.py RULES_FILE > k8s/components/monitoring/prometheus-rule.yaml"""
import sys

import yaml

HEADER = "# Generated from ops/prometheus/rules/flexsync.rules.yaml by tools/prometheus/render_prometheus_rule.py; do not edit.\n"


def render(rules_path):
    with open(rules_path, encoding="utf-8") as handle:
        groups = yaml.safe_load(handle)["groups"]
    rule = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "flexsync", "labels": {"release": "prometheus"}},
        "spec": {"groups": groups},
    }
    return HEADER + yaml.safe_dump(rule, sort_keys=False, width=200)


if __name__ == "__main__":
    sys.stdout.write(render(sys.argv[1]))
