"""Business rules, written once, used by every function."""
