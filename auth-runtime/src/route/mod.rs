//! Build time: the routes `#[webmethod]` registered (each entry with what
//! the macro recorded of it), the table that checks and matches them, and
//! the app states their handlers are closed over.

pub(crate) mod registry;
pub(crate) mod state;
pub(crate) mod table;
pub(crate) mod target;

pub use registry::{Method, RouteEntry, registered};
pub use state::MissingState;
pub use table::{Conflict, Lookup, RouteTable, TableError};
