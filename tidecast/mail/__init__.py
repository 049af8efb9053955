"""Mail: composing (the Email Service), the outbox that delivers it over SMTP, and the
development mailbox `tidecast dev` runs (an embedded part)."""
