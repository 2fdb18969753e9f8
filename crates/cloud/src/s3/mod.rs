//! S3 (restXml; path-style and virtual-host-style addressing).

pub mod checksum;
pub mod chunked;
