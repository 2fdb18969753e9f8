//! A small XML reader for request bodies (to be written).
