"""Scaffolding: the starter policy and CI snippets written by greengate init."""
