"""What production runs: the SAM template generated from netlify.toml (template.py, with the
workers' service from worker.py) and, beside it, the Lambda package."""
