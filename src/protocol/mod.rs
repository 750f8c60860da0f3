//! RESP2 and RESP3: parsing requests and encoding replies.

mod batch;
pub mod encoder;
pub mod error;
pub mod inline;
pub mod parser;
pub mod reply;
