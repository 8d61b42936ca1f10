"""The retrieval service: search (dense, lexical, fused), answers, and the HTTP API."""
