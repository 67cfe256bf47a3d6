"""Bayit+ backend API."""
