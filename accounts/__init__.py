"""User accounts, password policy and login sessions."""
