//! The process around the routes, outside the security pipeline: the
//! listeners and connections (TLS, limits, timeouts), CORS, the request id,
//! and the client address that quota and logs read.

pub(crate) mod client_addr;
pub(crate) mod cors;
pub(crate) mod request_id;
pub(crate) mod transport;
