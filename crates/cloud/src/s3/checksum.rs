//! Checksums S3 objects carry (to be written).
