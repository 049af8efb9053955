"""The API's presentation layer: what each function answers, as typed models.

Services return domain data; the function edge renders it through these models (camelCase,
the reference's JSON), and tidecast/runtime/openapi.py publishes them. A model refuses fields
it does not declare, so a service that grows a field fails loudly at the edge (a 500 in the
tests) instead of leaking it into the contract unannounced.

A directory, not a module of functions: the registry serves only `<name>.py` files.
"""
