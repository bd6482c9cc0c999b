"""``flask`` commands for operators."""
