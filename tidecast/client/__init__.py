"""tidecast's typed Python client (the wrapper comes next; the generated package is _generated)."""
