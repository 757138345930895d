"""ShoppingBench: a shopping-assistant agent benchmark, graded offline by its published rules."""

from frontier.benchmarks.shoppingbench.benchmark import ShoppingBench

__all__ = ["ShoppingBench"]
