"""Regions' action plans: the solutions agreed with the experts, and their progress by round."""
