//! Server configuration: the redis.conf parser, the directive table, CONFIG GET/SET/REWRITE.

pub mod live;
