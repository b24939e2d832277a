"""Torchls's analysis: source text to findings, with no knowledge of LSP."""
