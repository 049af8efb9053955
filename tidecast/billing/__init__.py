"""Card payments: Stripe Checkout, the credit ledger, and playback paid from credit."""
