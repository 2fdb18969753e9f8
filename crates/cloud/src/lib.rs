//! The local AWS-compatible cloud: one module per service (state and operations,
//! transport-free, with the wire mapping beside it) and the shared parts every call goes
//! through — `sigv4` (authentication), `protocol` (the only code that knows wire formats),
//! `authz` (the one decision point), `store` (durability) and `trail` (the audit record).

pub mod sigv4;
