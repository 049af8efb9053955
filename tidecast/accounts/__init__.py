"""Accounts: users, login (passwords, login tokens, wallets by Sign-In with Ethereum), the
single-use links mailed to them, rate limits on attempts, and the mail their events cause."""
