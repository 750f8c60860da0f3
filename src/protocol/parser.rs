//! RESP request parsing (placeholder until the parser lands).
