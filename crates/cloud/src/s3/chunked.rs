//! aws-chunked request bodies (to be written).
