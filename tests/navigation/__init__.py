"""Tests of the navigation map service."""
