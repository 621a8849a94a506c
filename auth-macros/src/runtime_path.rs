//! The path generated code uses to name `auth-runtime`, even when the user
//! renamed the dependency in their Cargo.toml.

use proc_macro_crate::{FoundCrate, crate_name};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::Ident;

/// `::<name>` for however the current crate calls `auth-runtime`.
pub fn runtime() -> TokenStream {
    match crate_name("auth-runtime") {
        Ok(FoundCrate::Name(name)) => {
            let ident = Ident::new(&name, Span::call_site());
            quote!(::#ident)
        }
        // Inside auth-runtime itself (its tests and examples) the crate declares
        // `extern crate self as auth_runtime;`.
        Ok(FoundCrate::Itself) | Err(_) => quote!(::auth_runtime),
    }
}
