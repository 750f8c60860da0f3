//! RESP reply encoding (placeholder until the encoder lands).
