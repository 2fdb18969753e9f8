//! SigV4 request verification (placeholder until the module lands).
