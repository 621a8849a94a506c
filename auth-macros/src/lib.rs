//! The `#[webmethod]` attribute. Use it through `auth-runtime`, which re-exports it
//! and documents it; this crate only turns tokens into tokens.
//!
//! Pipeline: `args` (parse, keep each key's token) -> `signature` (facts about the
//! function) -> `validate` (cross-key rules, typed result) -> `expand`. Every stage
//! reports into one `ctxt::Ctxt`, so a user sees all mistakes at once.

#![warn(missing_docs)]

mod args;
mod ctxt;
mod describe;
mod expand;
mod keys;
mod runtime_path;
mod signature;
mod template;
mod validate;

use proc_macro::TokenStream;

/// See `auth_runtime::webmethod` for the documentation.
#[proc_macro_attribute]
pub fn webmethod(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::webmethod(attr.into(), item.into()).into()
}
