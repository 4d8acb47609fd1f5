"""Yearly budgets of the cash programmes, committed and paid against them."""
