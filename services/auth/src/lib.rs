//! auth service
