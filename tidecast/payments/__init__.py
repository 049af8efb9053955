"""Payments: payment streams as the site shows them, signed payment status, and playback gating
(who may have a stream's keys, checked against a live payment stream) with its playback tokens."""
