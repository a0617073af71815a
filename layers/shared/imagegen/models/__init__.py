"""Pydantic models of the domain and of the API's JSON."""
